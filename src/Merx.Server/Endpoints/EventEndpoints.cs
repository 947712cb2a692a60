using Merx.Core.Domain;
using Merx.Privacy.Scrubbing;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Endpoints;

/// <summary>
/// POST /api/events: one event object, or {"events": [...]} up to MaxBatch. All or nothing. User ids
/// are stored as pseudonyms and personal data in queries and session ids is masked; the response's
/// <c>scrubbed_fields</c> counts the masked occurrences.
/// </summary>
public static class EventEndpoints
{
    public static RouteGroupBuilder MapEvents(this RouteGroupBuilder api)
    {
        api.MapPost("/events", Ingest).WithName("PostEvents").WithSummary("Record behaviour events (single object or {\"events\": [...]}); a rejected batch writes nothing.");
        return api;
    }

    private static async Task<Results<Ok<EventsAccepted>, ProblemHttpResult>> Ingest(HttpRequest http, HistoryCache histories, Merx.Service.Trust.IngestSignals signals, IngestPrivacy privacy, Merx.Service.Telemetry.MerxMetrics metrics, IOptions<MerxServerOptions> options)
    {
        var (events, error) = await Json.ReadOneOrManyAsync<EventDto>(http, "events", options.Value.MaxBatch);
        if (error is not null) return error;
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
        // Pseudonymized and scrubbed only once the whole batch is valid: raw ids go no further than this request.
        var scrub = new ScrubReport();
        var pseudonymous = privacy.Batch(accepted, scrub);
        var batch = histories.Append(pseudonymous);
        signals.Observe(pseudonymous);
        metrics.EventsIngested(batch.Events);
        return TypedResults.Ok(new EventsAccepted(batch.Events, batch.NewUsers, batch.NewItems, batch.FirstSequence, batch.LastSequence, scrub.TotalDropped + scrub.TotalMasked));
    }
}
