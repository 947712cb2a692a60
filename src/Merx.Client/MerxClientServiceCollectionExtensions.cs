using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Merx.Client;

public static class MerxClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MerxClient"/> as a typed client of <c>IHttpClientFactory</c> with Microsoft.Extensions.Http.Resilience's
    /// standard handler (rate limiter, total timeout, retries with jittered exponential back-off on 5xx, 408, 429 and
    /// network errors, circuit breaker, attempt timeout). Retries are off for POST, PUT, PATCH and DELETE: a write the
    /// server may have applied is not sent twice (events would be counted twice). <paramref name="resilience"/> tunes
    /// the handler. Returns the builder for further handlers.
    /// </summary>
    public static IHttpClientBuilder AddMerxClient(this IServiceCollection services, Action<MerxClientOptions> configure, Action<HttpStandardResilienceOptions>? resilience = null)
    {
        var options = new MerxClientOptions();
        configure(options);
        if (options.BaseAddress is null) throw new ArgumentException("MerxClientOptions.BaseAddress is required", nameof(configure));
        var builder = services.AddHttpClient<MerxClient>(http =>
        {
            http.BaseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
            if (!string.IsNullOrEmpty(options.ApiKey)) http.DefaultRequestHeaders.Add(MerxClient.KeyHeader, options.ApiKey);
        });
        builder.AddStandardResilienceHandler(o =>
        {
            o.Retry.DisableForUnsafeHttpMethods();
            resilience?.Invoke(o);
        });
        return builder;
    }
}
