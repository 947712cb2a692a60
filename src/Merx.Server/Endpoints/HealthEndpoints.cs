using Merx.Server.Http;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>/health/live (the process answers), /health/ready (a model is loaded), /metrics (Prometheus text).</summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).ExcludeFromDescription();
        app.MapGet("/health/ready", (ModelHost host) => host.Current is { Ready: true } s
            ? Results.Ok(new { status = "ready", models = s.Models.Select(m => new { name = m.Version.Name, version = m.Version.Version }), catalog_items = s.Catalog.Count })
            : Problems.NotReady(host.Current is null ? "loading" : "no model published yet (run 'merx train' or POST /api/models/train)")).ExcludeFromDescription();
        app.MapGet("/metrics", (ServerMetrics metrics, ModelHost host, HistoryCache histories) =>
            Results.Text(metrics.Render(host.Current?.Models.Select(m => (m.Version.Name, m.Version.Version)) ?? [], histories.Counters), "text/plain; version=0.0.4")).ExcludeFromDescription();
        return app;
    }
}
