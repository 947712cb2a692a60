namespace Merx.Ranking.Pipeline;

/// <summary>Tunable knobs of the ranking pipeline. Defaults are reasonable for shops of 10k–1M items.</summary>
public sealed record RankingOptions
{
    /// <summary>Candidates each source proposes, as a multiple of N (at least 50).</summary>
    public int CandidatesPerSource { get; init; } = 10;
    /// <summary>Long-term model weight without session activity; shifts by <see cref="SessionShift"/> toward the session sources.</summary>
    public float LongTermWeight { get; init; } = 1.0f;
    public float NeighborWeight { get; init; } = 0.6f;
    /// <summary>How much weight moves from the long-term model to item-to-item neighbours at full session activity.</summary>
    public float SessionShift { get; init; } = 0.5f;
    public float TrendingWeight { get; init; } = 0.15f;
    public float NewItemWeight { get; init; } = 0.8f;
    /// <summary>Session events at which the session share reaches 1.</summary>
    public int SessionSaturation { get; init; } = 5;
    /// <summary>Gap that ends a session (seconds).</summary>
    public long SessionGapSeconds { get; init; } = 30 * 60;
    /// <summary>Reciprocal-rank-fusion constant: a source's candidate at rank r adds weight / (k + r).</summary>
    public int FusionK { get; init; } = 20;
    /// <summary>MMR trade-off: 1 = relevance only.</summary>
    public float DiversityLambda { get; init; } = 0.8f;
    /// <summary>Expected cost of the expensive sources is compared with the budget times this safety factor.</summary>
    public double BudgetSafety { get; init; } = 1.5;
}
