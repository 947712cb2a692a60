using Merx.Core.Diagnostics;
using Merx.Service.Serving;
using Merx.Service.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Merx.Server.Http;

/// <summary>
/// OpenTelemetry for the server: ASP.NET Core's own metrics (<c>http.server.request.duration</c>, …)
/// and Merx's (<see cref="MerxMetrics"/>) at <c>/metrics</c> in Prometheus text; traces (a span per
/// request, per pipeline stage, per store call: <see cref="MerxDiagnostics.Source"/>) and metrics
/// also to an OTLP collector when the standard variables name one (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
/// or a per-signal <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>/<c>…_METRICS_ENDPOINT</c>; protocol,
/// headers and <c>OTEL_SERVICE_NAME</c>/<c>OTEL_RESOURCE_ATTRIBUTES</c> as the SDK reads them). Without
/// a collector, no tracer is registered: spans are not even created.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddMerxTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName: "merx", serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddMeter(MerxDiagnostics.Name).AddMeter("System.Runtime").AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (OtlpConfigured(configuration))
        {
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(MetricsPath)).AddSource(MerxDiagnostics.Name));
            otel.UseOtlpExporter();
        }
        return services;
    }

    /// <summary>Whether the standard OTLP variables (as configuration: environment, command line) name a collector.</summary>
    public static bool OtlpConfigured(IConfiguration configuration) =>
        new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" }
            .Any(k => !string.IsNullOrWhiteSpace(configuration[k]));

    /// <summary>Counts requests in flight (the pipeline's overload signal) around every request.</summary>
    public static WebApplication UseMerxTelemetry(this WebApplication app)
    {
        var load = app.Services.GetRequiredService<ServingLoad>();
        app.Use(async (ctx, next) =>
        {
            load.Enter();
            try { await next(ctx); }
            finally { load.Leave(); }
        });
        return app;
    }

    public static WebApplication MapMerxMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        _ = app.Services.GetRequiredService<MerxMetrics>(); // its observable instruments exist from the start
        return app;
    }
}
