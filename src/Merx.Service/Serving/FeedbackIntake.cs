using Merx.Core.Domain;
using Merx.Service.Experiments;
using Merx.Service.Telemetry;
using Merx.Service.Trust;
using Merx.Storage;

namespace Merx.Service.Serving;

/// <summary>One piece of feedback as a host received it, already checked for shape (ids, kind, value).</summary>
public sealed record FeedbackEntry(string RecommendationId, string Item, EventKind Kind, double Value);

/// <summary>
/// Feedback on served recommendations, attributed by the recommendation id every answer carries, in two steps for
/// every host: <see cref="Attribute"/> resolves each entry against the served lists (read only; a problem per entry
/// that names an unknown list or an item the list did not show), then <see cref="Record"/> writes the batch and tells
/// everything that learns from it: clicks, carts and purchases become the user's events (histories, the attack
/// signal, metrics), experiments count them, the serving policy learns.
/// </summary>
public sealed class FeedbackIntake(IServingLog store, HistoryCache histories, IngestSignals signals, ServedLog log, ExperimentService experiments, PolicyHost policies, MerxMetrics metrics)
{
    /// <summary>A resolved batch: its records, the events they make and the served lists they name.</summary>
    public sealed record Attribution(IReadOnlyList<FeedbackRecord> Records, IReadOnlyList<RawEvent> Events, IReadOnlyDictionary<string, ServedRecommendation?> Served);

    /// <summary>Resolves the entries (keyed by their position in the request) against the served lists; <c>Problems</c> holds one message per entry that cannot be attributed.</summary>
    public (Attribution Batch, IReadOnlyDictionary<int, string> Problems) Attribute(IEnumerable<(int Index, FeedbackEntry Entry)> entries, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var records = new List<FeedbackRecord>();
        var events = new List<RawEvent>();
        var served = new Dictionary<string, ServedRecommendation?>();
        var problems = new Dictionary<int, string>();
        foreach (var (i, f) in entries)
        {
            if (!served.TryGetValue(f.RecommendationId, out var rec)) served[f.RecommendationId] = rec = log.Get(f.RecommendationId);
            if (rec is null) problems[i] = $"unknown recommendation_id '{f.RecommendationId}'";
            else if (!rec.Items.Contains(f.Item)) problems[i] = $"item '{f.Item}' was not in recommendation {f.RecommendationId}";
            else
            {
                records.Add(new FeedbackRecord(rec.Id, rec.User, f.Item, f.Kind, now, f.Value));
                if (f.Kind != EventKind.Impression && !rec.User.StartsWith("anonymous:", StringComparison.Ordinal))
                    events.Add(new RawEvent(rec.User, f.Item, f.Kind, now.ToUnixTimeSeconds(), (float)f.Value));
            }
        }
        return (new Attribution(records, events, served), problems);
    }

    /// <summary>Writes an attributed batch (all or nothing) and tells histories, the attack signal, experiments, the policy and the metrics.</summary>
    public void Record(Attribution batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        store.RecordFeedback(batch.Records);
        if (batch.Events.Count > 0) { histories.Append(batch.Events); signals.Observe(batch.Events); metrics.EventsIngested(batch.Events.Count); }
        foreach (var r in batch.Records)
            if (batch.Served[r.RecommendationId]?.Variant is { } tag) experiments.Record(tag, r.User, r.Kind, r.Value);
        policies.Learn(batch.Records);
        foreach (var r in batch.Records) metrics.Feedback(r.Kind.ToWireName());
    }
}
