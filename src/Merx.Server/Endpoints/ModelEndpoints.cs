using System.Text.Json;
using Merx.Models;
using Merx.Server.Http;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Endpoints;

/// <summary>Model versions with their metrics, which ones are being served, and training on demand.</summary>
public static class ModelEndpoints
{
    public static RouteGroupBuilder MapModels(this RouteGroupBuilder api)
    {
        api.MapGet("/models", List).WithName("ListModels");
        api.MapPost("/models/train", Train).WithName("TrainModels").WithSummary("Start background training ({\"models\": [...], \"time_budget_minutes\": 5}); 202, or 409 when a run is in progress.");
        api.MapGet("/models/training", (TrainingService t) => TypedResults.Ok(t.Status)).WithName("TrainingStatus");
        return api;
    }

    private static Ok<ModelsResponse> List(IMerxStore store, ModelHost host)
    {
        var snapshot = host.Current;
        var serving = snapshot?.Models.Select(m => m.Version.Version).ToHashSet() ?? [];
        var versions = store.ListModels().Select(v => new ModelListing(
            v.Version, v.Name, v.CreatedAt, v.Sha256, v.SizeBytes, JsonSerializer.Deserialize<JsonElement>(v.MetricsJson), serving.Contains(v.Version))).ToArray();
        return TypedResults.Ok(new ModelsResponse(versions, snapshot?.BuiltAt, snapshot?.Catalog.Count));
    }

    private static async Task<Results<Accepted<TrainingStatus>, ProblemHttpResult>> Train(HttpRequest http, TrainingService training, IOptions<MerxServerOptions> options)
    {
        TrainRequestDto body = new(null, null);
        if (http.ContentLength is null or > 0 && http.ContentType is not null)
        {
            var (parsed, error) = await Json.ReadAsync<TrainRequestDto>(http);
            if (error is not null) return error;
            body = parsed!;
        }
        var models = body.Models ?? options.Value.TrainModels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (models.Count == 0) return Problems.Bad("name at least one model");
        var unknown = models.Where(m => !ModelRegistry.IsKnown(m)).ToArray();
        if (unknown.Length > 0) return Problems.Bad($"unknown model(s) {string.Join(", ", unknown)} (known: {ModelRegistry.Known})");
        var minutes = body.TimeBudgetMinutes ?? options.Value.TrainBudgetMinutes;
        if (!double.IsFinite(minutes) || minutes <= 0 || minutes > 24 * 60) return Problems.Bad("time_budget_minutes must be between 0 and 1440");
        return training.TryStart(models, minutes)
            ? TypedResults.Accepted("/api/models/training", training.Status)
            : Problems.Status(StatusCodes.Status409Conflict, "training in progress", "a training run is already in progress; see GET /api/models/training");
    }
}

/// <summary>Every published model version, newest last, with the time the served snapshot was built and its catalog size (both absent before the first snapshot).</summary>
public sealed record ModelsResponse(IReadOnlyList<ModelListing> Models, DateTimeOffset? SnapshotBuiltAt, int? CatalogItems);

/// <summary>One published model version: its file's SHA-256 and size, the metrics it was published with, and whether it is being served.</summary>
public sealed record ModelListing(long Version, string Name, DateTimeOffset CreatedAt, string Sha256, long SizeBytes, JsonElement Metrics, bool Serving);
