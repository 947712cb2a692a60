using Merx.Server.Http;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>/health/live (the process answers), /health/ready (a model is loaded). /metrics is OpenTelemetry's (<see cref="Http.Telemetry"/>).</summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthStatus("live"))).ExcludeFromDescription();
        app.MapGet("/health/ready", Ready).ExcludeFromDescription();
        return app;
    }

    private static Results<Ok<HealthStatus>, ProblemHttpResult> Ready(ModelHost host) => host.Current is { Ready: true } s
        ? TypedResults.Ok(new HealthStatus("ready", s.Models.Select(m => new ModelRef(m.Version.Name, m.Version.Version)).ToArray(), s.Catalog.Count))
        : Problems.NotReady(host.Current is null ? "loading" : "no model published yet (run 'merx train' or POST /api/models/train)");
}

/// <summary>The health answer: <c>live</c>, or <c>ready</c> with the served models and the catalog's size.</summary>
public sealed record HealthStatus(string Status, IReadOnlyList<ModelRef>? Models = null, int? CatalogItems = null);
