using System.Diagnostics.Metrics;
using Merx.Core.Diagnostics;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Retrieval;
using Merx.Service.Serving;

namespace Merx.Service.Telemetry;

/// <summary>
/// Merx's own instruments on <c>System.Diagnostics.Metrics</c>, on the meter named
/// <see cref="MerxDiagnostics.Name"/> (made through <see cref="IMeterFactory"/>, so each host has its
/// own): events ingested, feedback received, the duration of each pipeline stage, the explored share
/// of each served list, history-cache lookups, loaded model versions, item-index searches by how they were
/// answered, requests in flight, degraded answers and shed requests. Any exporter sees them (<c>/metrics</c> in Prometheus text, OTLP); with
/// the Prometheus exporter a name <c>merx.events.ingested</c> reads <c>merx_events_ingested_total</c>.
/// </summary>
public sealed class MerxMetrics
{
    private readonly Counter<long> _events, _feedback, _shed;
    private readonly Histogram<double> _stage, _exploration;

    public MerxMetrics(IMeterFactory meters, ModelHost host, HistoryCache histories, ServingLoad load, Trust.IngestSignals signals)
    {
        var meter = meters.Create(MerxDiagnostics.Name);
        _events = meter.CreateCounter<long>("merx.events.ingested", description: "Events accepted (by POST /api/events, and clicks or purchases reported as feedback).");
        _feedback = meter.CreateCounter<long>("merx.feedback", description: "Feedback entries accepted, by kind.");
        _shed = meter.CreateCounter<long>("merx.requests.shed", description: "Requests refused to protect the service, by reason (rate_limit, overload).");
        _stage = meter.CreateHistogram<double>("merx.pipeline.stage.duration", unit: "s", description: "Time spent in each stage of the recommendation pipeline (stages skipped for the latency budget are not recorded).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25] });
        _exploration = meter.CreateHistogram<double>("merx.recommendation.exploration_share", description: "Share of a served list that the explore/exploit policy explored (0 to 1).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1] });
        meter.CreateObservableCounter("merx.history_cache.lookups", () =>
        {
            var (hits, misses, drops) = histories.Counters;
            return new Measurement<long>[] { new(hits, Tag("result", "hit")), new(misses, Tag("result", "miss")), new(drops, Tag("result", "drop")) };
        }, description: "Users' histories answered from memory (hit), read from the store (miss), and whole-cache drops after writes by another process.");
        meter.CreateObservableGauge("merx.model.version", () => host.Current?.Models.Select(m => new Measurement<long>(m.Version.Version, Tag("model", m.Version.Name))) ?? [],
            description: "Loaded model version by model name.");
        meter.CreateObservableCounter("merx.index.searches", () => host.Current?.Models.SelectMany(m => m.Live?.Index is HnswIndex index ? Searches(m.Version.Name, index) : []) ?? [], description: "Searches of the served HNSW item index: answered by its head alone (proven exact) or through the graph; counted from the model version's load.");
        meter.CreateObservableUpDownCounter("merx.http.requests_in_flight", () => load.InFlight, description: "Requests being processed.");
        meter.CreateObservableCounter("merx.recommendations.degraded", () => load.Degraded, description: "Recommendations served on the fast or fallback path.");
        meter.CreateObservableGauge("merx.trust.surge_items", () => signals.Report(0).FlaggedItems,
            description: "Items flagged by the push-attack signal now: many new accounts arriving at them in the last window (GET /api/trust/surge lists them).");
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    // Head answers read first: a search is counted when it starts and as a head answer when it ends, so graph ≥ 0.
    private static Measurement<long>[] Searches(string model, HnswIndex index)
    {
        var head = index.HeadAnswers;
        var record = index.HeadAnswersOnRecord;
        return [new(head, Tag("model", model), Tag("answered", "head")), new(record, Tag("model", model), Tag("answered", "head_on_record")),
            new(index.Searches - head - record, Tag("model", model), Tag("answered", "graph"))];
    }

    public void EventsIngested(long n) { if (n > 0) _events.Add(n); }

    public void Feedback(string kind, long n = 1) => _feedback.Add(n, Tag("kind", kind));

    public void Shed(string reason) => _shed.Add(1, Tag("reason", reason));

    /// <summary>Records one pipeline run: the duration of every stage that ran, and the explored share.</summary>
    public void Served(RankingResult result)
    {
        foreach (var s in result.Stages)
            if (!s.Skipped) _stage.Record(s.Milliseconds / 1000, Tag("stage", s.Stage));
        _exploration.Record(result.ExplorationRate);
    }
}
