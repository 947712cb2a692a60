namespace Merx.Ranking.Bandits;

/// <summary>
/// One scored candidate offered to a policy: the item index, the exploit model's score (any scale,
/// higher is better) and its category id (−1 when unknown). Candidates may arrive in any order; the
/// policy ranks them by score itself.
/// </summary>
public readonly record struct BanditCandidate(int Item, float Score, int Category = -1);

/// <summary>
/// What a policy knows about the request's user. <see cref="UserVector"/> is the model's user
/// vector (length = the encoder's dimension) from <c>Merx.Core.Contracts.IUserEncoder</c>, empty when
/// the model has none. Recent counts are the user's impressions and clicks over a recent window
/// (the caller decides the window; the simulator uses a decayed count over visits).
/// <see cref="KnownCategories"/> are the categories in the user's history, so exploration can aim at
/// the others. <see cref="Segment"/> ≥ 0 names a user segment for segmented policies; −1 lets the
/// policy derive one from the history length.
/// </summary>
public sealed record BanditRequest
{
    public string UserKey { get; init; } = "";
    public ReadOnlyMemory<float> UserVector { get; init; }
    public int HistoryLength { get; init; }
    public double RecentImpressions { get; init; }
    public double RecentClicks { get; init; }
    public IReadOnlySet<int>? KnownCategories { get; init; }
    public int Segment { get; init; } = -1;

    /// <summary>True: this request's slate is not frozen for propensity redraws (a host that logs propensities for a sample of its lists).</summary>
    public bool SkipRedraws { get; init; }
}

/// <summary>
/// One slot of a served slate: the item, its exploit rank among the candidates (0 = the exploit
/// model's best; echo it back in the feedback), the policy's index value and whether the slot is an
/// exploration pick (an item the policy's own best estimate would not have put in the slate).
/// <see cref="Propensity"/> is the probability that the policy, in its state at the request, puts
/// this item in this slot (1 for deterministic policies, exact for ε-greedy and ranked:E), or NaN
/// where it has no closed form (the Thompson-style policies and Dynamic): off-policy evaluation
/// (<c>merx ope</c>) needs it. <see cref="Presence"/> is the probability that the policy shows this item
/// in any slot of the slate (≥ <see cref="Propensity"/>; the same where an item can only land in one slot):
/// the examination-model estimator of <c>merx ope</c> weighs by it.
/// </summary>
public readonly record struct SlatePick(int Item, int ExploitRank, float Value, bool Explored, int Category = -1, double Propensity = double.NaN, double Presence = double.NaN);

/// <summary>A slate of K picks, best slot first, and the share of slots the policy meant to explore.</summary>
public sealed record SlateDecision(SlatePick[] Picks, double ExploreShare)
{
    public int ExploredCount => Picks.Count(p => p.Explored);

    /// <summary>
    /// With <see cref="BanditPolicy.DeferPropensities"/>: the redraws that will estimate the NaN propensities,
    /// to run off the request path (<see cref="PropensityRedraws.Apply"/>); null otherwise.
    /// </summary>
    public PropensityRedraws? Pending { get; init; }

    /// <summary>The redraws that estimated this slate's propensities (their cap and capped slots), or null when none did.</summary>
    public PropensityRedraws? Redraws { get; init; }
}

/// <summary>
/// Feedback on one shown item: clicked (reward 1) or impression without a click (reward 0). The
/// request and the pick's exploit rank (from <see cref="SlatePick"/>) let policies rebuild the
/// features they used when choosing it.
/// </summary>
public sealed record BanditFeedback
{
    public required BanditRequest Request { get; init; }
    public required int Item { get; init; }
    public int ExploitRank { get; init; }
    public int Category { get; init; } = -1;
    public int Slot { get; init; }
    public bool Explored { get; init; }
    public bool Clicked { get; init; }
    /// <summary>Number of candidates and slate size at serving time (the prior over ranks depends on them).</summary>
    public int SlateSize { get; init; } = 10;
}
