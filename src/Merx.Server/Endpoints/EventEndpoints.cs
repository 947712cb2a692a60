using System.Text.Json;
using Merx.Core.Domain;
using Merx.Server.Http;
using Merx.Server.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Merx.Server.Endpoints;

/// <summary>POST /api/events: one event object, or {"events": [...]} up to MaxBatch. All or nothing.</summary>
public static class EventEndpoints
{
    public static RouteGroupBuilder MapEvents(this RouteGroupBuilder api)
    {
        api.MapPost("/events", Ingest).WithName("PostEvents").WithSummary("Record behaviour events (single object or {\"events\": [...]}); a rejected batch writes nothing.");
        return api;
    }

    private static async Task<IResult> Ingest(HttpRequest http, IMerxStore store, ServerMetrics metrics, IOptions<MerxServerOptions> options)
    {
        var (doc, error) = await Json.ReadAsync<JsonDocument>(http);
        if (error is not null) return error;
        using var _ = doc;
        IReadOnlyList<EventDto?> events;
        try
        {
            if (doc!.RootElement is not { ValueKind: JsonValueKind.Object } root) return Problems.Bad("expected a JSON object: one event, or {\"events\": [...]}");
            if (root.TryGetProperty("events", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array) return Problems.Bad("\"events\" must be an array");
                events = root.Deserialize<EventBatchDto>(Json.Options)!.Events ?? [];
            }
            else events = [root.Deserialize<EventDto>(Json.Options)];
        }
        catch (JsonException e) { return Problems.Bad($"malformed event{(e.Path is { Length: > 1 } p ? " at " + p : "")}: {e.Message.Split(". Path:")[0]}"); }
        if (events.Count == 0) return Problems.Bad("no events in the batch");
        if (events.Count > options.Value.MaxBatch) return Problems.Status(StatusCodes.Status413PayloadTooLarge, "batch too large", $"{events.Count:N0} events in one request; at most {options.Value.MaxBatch:N0} (split the batch)");

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var accepted = new RawEvent[events.Count];
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < events.Count; i++)
        {
            var (e, problems) = Validate.Event(events[i], now);
            if (problems.Count > 0) { errors[$"events[{i}]"] = problems.ToArray(); if (errors.Count >= 20) break; }
            else accepted[i] = e;
        }
        if (errors.Count > 0) return Problems.Validation(errors, $"{errors.Count}{(errors.Count >= 20 ? "+" : "")} invalid event(s) of {events.Count}; nothing was written");
        var batch = store.AppendEvents(accepted);
        metrics.AddEvents(batch.Events);
        return Results.Ok(new EventsAccepted(batch.Events, batch.NewUsers, batch.NewItems, batch.FirstSequence, batch.LastSequence));
    }
}
