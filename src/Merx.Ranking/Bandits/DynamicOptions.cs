namespace Merx.Ranking.Bandits;

/// <summary>
/// Settings of <see cref="DynamicPolicy"/>. The defaults were chosen on the Amazon Beauty and Taobao
/// simulators (bench/results/bandits.md) as values that work for shop data of that size and shape
/// (thousands to tens of thousands of items, short histories, CTRs of a few percent), not tuned to
/// one file.
/// </summary>
public sealed record DynamicOptions
{
    /// <summary>Target share of explored slots over all requests (the global exploration budget).</summary>
    public double Budget { get; init; } = 0.5;
    /// <summary>Most slots one request may explore, as a share of the slate.</summary>
    public double MaxShare { get; init; } = 0.7;
    /// <summary>History length at which the "new user" signal halves.</summary>
    public double HistoryHalfLife { get; init; } = 10;
    /// <summary>Share of exploration slots aimed at categories absent from the user's history.</summary>
    public double DiscoveryShare { get; init; } = 0.6;
    /// <summary>Weights of the three signals (new user, posterior uncertainty, boredom) in a request's need to explore.</summary>
    public double WeightHistory { get; init; } = 0.4;
    public double WeightUncertainty { get; init; } = 0.3;
    public double WeightBoredom { get; init; } = 0.3;
    /// <summary>Pseudo-impressions of recent feedback before the boredom signal trusts a user's own CTR.</summary>
    public double BoredomPrior { get; init; } = 5;
    /// <summary>Step of the budget controller (log-scale correction per request).</summary>
    public double ControllerRate { get; init; } = 0.02;
    /// <summary>First slot (0-based) an exploration pick may take; explored items are spread below it.</summary>
    public int FirstExploreSlot { get; init; } = 2;
    public double PriorStrength { get; init; } = 10;
    /// <summary>Ridge λ of the user-vector posterior that measures uncertainty.</summary>
    public double Lambda { get; init; } = 1;

    public void Validate()
    {
        if (Budget is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Budget), "budget must be in [0, 1]");
        if (MaxShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MaxShare), "max share must be in [0, 1]");
        if (DiscoveryShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(DiscoveryShare), "discovery share must be in [0, 1]");
        if (!(HistoryHalfLife > 0) || !(BoredomPrior > 0) || !(ControllerRate >= 0) || !(PriorStrength > 0) || !(Lambda > 0))
            throw new ArgumentOutOfRangeException(nameof(HistoryHalfLife), "half-life, boredom prior, prior strength and λ must be > 0; controller rate ≥ 0");
        if (WeightHistory < 0 || WeightUncertainty < 0 || WeightBoredom < 0 || WeightHistory + WeightUncertainty + WeightBoredom <= 0)
            throw new ArgumentOutOfRangeException(nameof(WeightHistory), "signal weights must be ≥ 0 and not all 0");
        ArgumentOutOfRangeException.ThrowIfNegative(FirstExploreSlot);
    }
}
