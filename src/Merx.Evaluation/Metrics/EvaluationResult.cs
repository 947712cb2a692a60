namespace Merx.Evaluation.Metrics;

/// <summary>A 95% bootstrap confidence interval of a per-user mean.</summary>
public readonly record struct Interval(double Lo, double Hi);

/// <summary>
/// Per-user averaged metrics of one model on one set of cases: values keyed "ndcg@10", "hr@10",
/// "mrr", … (prefixed "sampled_" under sampled ranking), each with its bootstrap interval, plus
/// how fast the evaluation ran (users scored per second, wall clock, all cores).
/// </summary>
public sealed record EvaluationResult(
    string Ranking,
    int Cases,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, Interval> Intervals,
    double Seconds,
    double UsersPerSecond)
{
    public double this[string metric] => Metrics[metric];

    /// <summary>NDCG and HR on rare, middling and popular targets (<see cref="TargetPopularity"/>); null when not measured.</summary>
    public IReadOnlyList<PopularityBucket>? ByTargetPopularity { get; init; }

    /// <summary>Each case's top items (largest K, input items excluded), in case order; null unless <see cref="EvaluationOptions.KeepTopLists"/>.</summary>
    public IReadOnlyList<int[]>? TopLists { get; init; }
}
