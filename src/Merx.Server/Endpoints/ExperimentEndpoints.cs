using Merx.Service.Experiments;
using Merx.Server.Http;
using Merx.Service.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>A/B experiments: define and start, list with reports, one report, stop.</summary>
public static class ExperimentEndpoints
{
    public static RouteGroupBuilder MapExperiments(this RouteGroupBuilder api)
    {
        api.MapPost("/experiments", Create).WithName("CreateExperiment")
            .WithSummary("Start an A/B experiment: {\"id\", \"variants\": [{\"name\", \"share\", \"explore\"?, \"diversity_lambda\"?}], \"metric\": click|add_to_cart|purchase, \"base_rate\"?}; the first variant is the control.");
        api.MapGet("/experiments", (ExperimentService s) => TypedResults.Ok(new ExperimentList(
            s.Definitions.Select(d => s.Report(d.Id) is { } r ? ExperimentJson.Describe(r.Definition, r.Report) : null).ToArray()))).WithName("ListExperiments");
        api.MapGet("/experiments/{id}", Report).WithName("ExperimentReport");
        api.MapPost("/experiments/{id}/stop", Stop).WithName("StopExperiment");
        return api;
    }

    private static Results<Ok<ExperimentResponse>, ProblemHttpResult> Report(string id, ExperimentService s) =>
        s.Report(id) is { } r ? TypedResults.Ok(ExperimentJson.Describe(r.Definition, r.Report)) : Problems.NotFound($"no experiment '{id}'");

    private static Results<Ok<ExperimentStopped>, ProblemHttpResult> Stop(string id, ExperimentService s) =>
        s.Stop(id) ? TypedResults.Ok(new ExperimentStopped(id, Stopped: true)) : Problems.NotFound($"no experiment '{id}'");

    private static async Task<Results<Created<ExperimentResponse>, ProblemHttpResult>> Create(HttpRequest http, ExperimentService experiments)
    {
        var (body, error) = await Json.ReadAsync<ExperimentDto>(http);
        if (error is not null) return error;
        if (body!.Variants is null || body.Variants.Any(v => v is null || v.Share is null)) return Problems.Bad("variants: a list of {\"name\", \"share\"} objects");
        try
        {
            var d = experiments.Create(body.Id ?? "", body.Variants.Select(v => new VariantConfig(v!.Name ?? "", v.Share!.Value, v.Explore, v.DiversityLambda)).ToArray(),
                body.Metric ?? "click", body.BaseRate ?? 0.05);
            return TypedResults.Created($"/api/experiments/{d.Id}", ExperimentJson.Describe(d, experiments.Report(d.Id)!.Value.Report));
        }
        catch (ArgumentException e) { return Problems.Bad(e.Message); }
        catch (InvalidOperationException e) { return Problems.Status(StatusCodes.Status409Conflict, "experiment running", e.Message); }
    }
}

/// <summary>An experiment that was stopped.</summary>
public sealed record ExperimentStopped(string Id, bool Stopped);
