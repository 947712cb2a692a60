using System.Threading.RateLimiting;
using Merx.Server.Endpoints;
using Merx.Server.Http;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server;

/// <summary>
/// Builds the Merx HTTP service: <c>AddMerx</c> adds HTTP's own services (telemetry, proxies, JSON, problem
/// details, OpenAPI, Kestrel limits, the rate limiter) to the service layer's (<see cref="MerxServices"/>);
/// <c>MapMerx</c> maps /api, health, metrics (OpenTelemetry, <see cref="Http.Telemetry"/>) and OpenAPI.
/// <c>merx serve</c> and the integration tests both build the app here.
/// </summary>
public static class MerxApp
{
    public static WebApplication Build(MerxServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        // Merx binds its settings once at start (a change needs a restart), so the host does not watch its
        // folder for appsettings changes: a store in the working folder would wake that watcher on every
        // WAL write (about 3 % of a serving process's CPU under load, bench/results/serving-scale.md).
        var builder = WebApplication.CreateSlimBuilder([.. args ?? [], "--hostBuilder:reloadConfigOnChange=false"]);
        builder.Services.AddMerx(options, builder.Configuration);
        configure?.Invoke(builder);
        builder.Services.RedactLogs(); // after every logging provider is added, the host's and the caller's
        var app = builder.Build();
        app.MapMerx();
        return app;
    }

    /// <summary>The service layer (<see cref="MerxServices.AddMerxServices"/>) and what HTTP adds to it.</summary>
    public static IServiceCollection AddMerx(this IServiceCollection services, MerxServerOptions options, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        // Telemetry first: its hosted service starts before the service layer's, as it always has.
        services.AddMerxTelemetry(configuration);
        services.AddMerxServices(options);
        services.AddTrustedProxies(options.TrustedProxies);
        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        // The request id (also the X-Request-Id header, and RequestId in every log line's scope) in every problem+json answer.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx => ctx.ProblemDetails.Extensions["request_id"] = ctx.HttpContext.TraceIdentifier);
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
                ctx.HttpContext.RequestServices.GetRequiredService<Merx.Service.Telemetry.MerxMetrics>().Shed("rate_limit");
                ctx.HttpContext.Response.Headers.RetryAfter = "1";
                await Problems.Status(StatusCodes.Status429TooManyRequests, "too many requests", $"more than {options.RateLimitPerSecond:N0} requests per second from this client; retry after a second").ExecuteAsync(ctx.HttpContext);
            };
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
            {
                return RateLimitPartition.GetTokenBucketLimiter(SharedRateLimit.Client(ctx), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.RateLimitPerSecond, TokensPerPeriod = options.RateLimitPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
                });
            });
        });
        return services;
    }

    public static WebApplication MapMerx(this WebApplication app)
    {
        app.UseTrustedProxies(app.Services.GetRequiredService<IOptions<MerxServerOptions>>().Value.TrustedProxies);
        app.Use((ctx, next) =>
        {
            ctx.Response.Headers["X-Request-Id"] = ctx.TraceIdentifier;
            return next(ctx);
        });
        app.UseMerxTelemetry();
        // A 503 (the store unreachable or restarting) tells clients when to retry (issue 18: never a 500 while the database is down).
        app.Use((ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                if (ctx.Response.StatusCode == StatusCodes.Status503ServiceUnavailable && !ctx.Response.Headers.ContainsKey("Retry-After")) ctx.Response.Headers.RetryAfter = "1";
                return Task.CompletedTask;
            });
            return next(ctx);
        });
        app.UseMiddleware<AdmissionGate>();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusFor, SuppressDiagnosticsCallback = _ => false });
        app.UseStatusCodePages();
        // Users deleted or renamed by any process (another replica, `merx forget`) reach every per-user state
        // before the answer; inside the exception handler, so a store that fails here answers problem+json.
        var lifecycle = app.Services.GetRequiredService<UserLifecycle>();
        app.Use((ctx, next) =>
        {
            lifecycle.CatchUp();
            return next(ctx);
        });
        app.UseMiddleware<ApiKeyMiddleware>();
        var maxBody = app.Services.GetRequiredService<IOptions<MerxServerOptions>>().Value.MaxBodyBytes;
        app.Use(async (ctx, next) =>
        {
            // Kestrel enforces the limit on streamed bodies too; this answers a declared oversize body before reading it.
            // An image upload may carry up to ImageDecoding.MaxBytes (issue #19).
            var limit = maxBody;
            if (Endpoints.ItemImageEndpoints.IsUpload(ctx.Request))
            {
                limit = Math.Max(maxBody, Merx.Encoders.ImageDecoding.MaxBytes);
                if (ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
            }
            if (ctx.Request.ContentLength > limit)
            {
                await Problems.Status(StatusCodes.Status413PayloadTooLarge, "request body too large", $"{ctx.Request.ContentLength:N0} bytes; at most {limit:N0}").ExecuteAsync(ctx);
                return;
            }
            await next(ctx);
        });
        // Replicas over one store count each client's requests in the store (issue 18: a limit for the shop, not per process).
        if (app.Services.GetRequiredService<IMerxStore>() is ISharedServingState) app.UseMiddleware<SharedRateLimit>();
        else app.UseRateLimiter();

        var api = app.MapGroup("/api");
        api.MapEvents().MapTrust().MapItems().MapItemImages().MapUsers().MapRecommendations().MapFeedback().MapModels().MapExperiments();
        app.MapHealth();
        app.MapMerxMetrics();
        app.MapDashboard();
        app.MapStorefront();
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
        // The database unreachable, restarting or refusing connections (Npgsql and SQLite both mark these transient).
        System.Data.Common.DbException { IsTransient: true } or TimeoutException => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
