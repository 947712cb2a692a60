using System.Net;
using System.Threading.RateLimiting;
using Merx.Server.Endpoints;
using Merx.Service.Experiments;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage;
using Merx.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server;

/// <summary>
/// Builds the Merx HTTP service: <c>AddMerx</c> registers the store, the model host, the
/// recommendation and training services; <c>MapMerx</c> maps /api, health, metrics and OpenAPI.
/// <c>merx serve</c> and the integration tests both build the app here.
/// </summary>
public static class MerxApp
{
    public static WebApplication Build(MerxServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.Services.AddMerx(options);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapMerx();
        return app;
    }

    public static IServiceCollection AddMerx(this IServiceCollection services, MerxServerOptions options)
    {
        if (string.IsNullOrEmpty(options.ApiKey)) throw new ArgumentException("an API key is required (MERX_API_KEY or --api-key)", nameof(options));
        services.AddSingleton(Options.Create(options));
        services.AddTrustedProxies(options.TrustedProxies);
        if (options.KAnonymity < 1) throw new ArgumentException("KAnonymity must be at least 1", nameof(options));
        if (options.SizeNoiseEpsilon is { } eps && !(eps > 0 && double.IsFinite(eps))) throw new ArgumentException("SizeNoiseEpsilon must be a finite number > 0", nameof(options));
        // The key is resolved before anything is served: a server without a usable key refuses to start.
        var key = PseudonymKeys.Resolve(options.Db, KeyUse.Serve, options.PseudonymKey, options.PseudonymKeyFile, options.LoopbackOnly, configuredOldKeys: options.PseudonymOldKeys);
        services.AddSingleton(sp => UserIdsFor(sp, key));
        services.AddSingleton<IngestPrivacy>();
        services.AddSingleton<IMerxStore>(_ =>
        {
            var store = SqliteStore.Open(options.Db);
            try { PseudonymKeys.Bind(store, key); }
            catch { store.Dispose(); throw; }
            return store;
        });
        services.AddSingleton<ServingLoad>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<PolicyHost>();
        services.AddHostedService(sp => sp.GetRequiredService<PolicyHost>());
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        services.AddSingleton<TrainingService>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainingService>());
        services.AddSingleton<ServedLog>();
        services.AddHostedService(sp => sp.GetRequiredService<ServedLog>());
        services.AddSingleton<ExperimentService>();
        services.AddSingleton<HistoryCache>();
        services.AddSingleton<RecommendationService>();
        services.AddSingleton<SegmentRelease>();
        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.AddServerHeader = false;
        });
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.OnRejected = async (ctx, cancel) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "1";
                await Problems.Status(StatusCodes.Status429TooManyRequests, "too many requests", $"more than {options.RateLimitPerSecond:N0} requests per second from this client; retry after a second").ExecuteAsync(ctx.HttpContext);
            };
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
            {
                var client = ctx.Request.Headers[ApiKeyMiddleware.Header].ToString() is { Length: > 0 } key ? "key:" + key.GetHashCode() : "ip:" + (ctx.Connection.RemoteIpAddress ?? IPAddress.Loopback);
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.RateLimitPerSecond, TokensPerPeriod = options.RateLimitPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
                });
            });
        });
        return services;
    }

    /// <summary>
    /// The user ids of the service. During a lazy key rotation a returning user is renamed in the store,
    /// and the in-memory state kept per pseudonym follows: the cached history is dropped (reloaded under
    /// the new pseudonym), recent bandit feedback and experiment tallies move.
    /// </summary>
    private static UserIds UserIdsFor(IServiceProvider sp, ResolvedKey key)
    {
        var ids = new UserIds(key.Key, key.OldKeys, sp.GetRequiredService<IMerxStore>());
        if (ids.Rekeying is { } rekeying)
            rekeying.Renamed += (from, to) =>
            {
                var histories = sp.GetRequiredService<HistoryCache>();
                histories.Forget(from);
                histories.Forget(to);
                sp.GetRequiredService<PolicyHost>().Rename(from, to);
                sp.GetRequiredService<ExperimentService>().Rename(from, to);
            };
        return ids;
    }

    public static WebApplication MapMerx(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.UseTrustedProxies(app.Services.GetRequiredService<IOptions<MerxServerOptions>>().Value.TrustedProxies);
        app.Use(metrics.Track);
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusFor, SuppressDiagnosticsCallback = _ => false });
        app.UseStatusCodePages();
        app.UseMiddleware<ApiKeyMiddleware>();
        var maxBody = app.Services.GetRequiredService<IOptions<MerxServerOptions>>().Value.MaxBodyBytes;
        app.Use(async (ctx, next) =>
        {
            // Kestrel enforces the limit on streamed bodies too; this answers a declared oversize body before reading it.
            if (ctx.Request.ContentLength > maxBody)
            {
                await Problems.Status(StatusCodes.Status413PayloadTooLarge, "request body too large", $"{ctx.Request.ContentLength:N0} bytes; at most {maxBody:N0}").ExecuteAsync(ctx);
                return;
            }
            await next(ctx);
        });
        app.UseRateLimiter();

        var api = app.MapGroup("/api");
        api.MapEvents().MapItems().MapUsers().MapRecommendations().MapFeedback().MapModels().MapExperiments();
        app.MapHealth();
        app.MapDashboard();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    /// <summary>Expected failures from the layers below become 4xx; everything else is a 500 without details.</summary>
    private static int StatusFor(Exception e) => e switch
    {
        BadHttpRequestException b => b.StatusCode,
        ArgumentException or FormatException => StatusCodes.Status400BadRequest,
        KeyNotFoundException => StatusCodes.Status404NotFound,
        InvalidOperationException => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
