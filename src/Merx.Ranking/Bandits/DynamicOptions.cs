namespace Merx.Ranking.Bandits;

/// <summary>
/// Settings of <see cref="DynamicPolicy"/>: which exploration rules it chooses among and how its
/// choice learns. The defaults were set on the Amazon Beauty and Taobao simulators
/// (bench/results/bandits.md) as values for shop data of that shape, not tuned to one file.
/// </summary>
public sealed record DynamicOptions
{
    /// <summary>The exploration rules (policy specs of <see cref="BanditPolicies"/>) the meta-policy chooses among per request.</summary>
    public IReadOnlyList<string> Arms { get; init; } = ["greedy", "egreedy", "ucb", "thompson", "lints"];
    /// <summary>Weight, in served slots, of an arm's overall click rate as the prior of its click rate in one context.</summary>
    public double ContextPrior { get; init; } = 200;
    /// <summary>Most slots one (context, arm) cell remembers: older evidence is scaled down beyond it, so the choice follows arms whose value changes as the shared item knowledge grows.</summary>
    public double Memory { get; init; } = 20_000;
    /// <summary>
    /// Half-life, in served slots, of the credit an arm gets for what its exploration found: when an
    /// item first clicked in an explored slot of arm a is clicked later in a slate of another arm, a
    /// earns that click too, weighted 0.5^(slots since the discovery / half-life). 0 turns the credit off.
    /// </summary>
    public double DiscoveryHalfLife { get; init; } = 20_000;
    /// <summary>
    /// Whether every arm learns from the feedback on every slate (true), or only the arm that served it
    /// (false, the default). Shared feedback pools what is known about items, but then the exploiting
    /// arms reap what the exploring ones find, so the meta-policy's per-arm click rates favour them:
    /// on Taobao it chose greedy most and earned 385 ± 32 clicks against Thompson sampling's 446 ± 22;
    /// with feedback kept per arm 425 ± 13 (bench/results/bandits.md).
    /// </summary>
    public bool ShareFeedback { get; init; }
    /// <summary>
    /// Policies whose arms learn from the feedback on every slate even when <see cref="ShareFeedback"/> is
    /// false, by name ("lints" covers the arm "lints:0.5"; a name absent from <see cref="Arms"/> does nothing).
    /// An arm whose own learning needs more data than its share of requests gives it is starved otherwise:
    /// linear TS's head over 64-d Transformer vectors learned from 5 % of Beauty's slates, and the
    /// meta-policy, seeing it earn little, gave it no more (bench/results/bandits.md).
    /// </summary>
    public IReadOnlyList<string> SharedArms { get; init; } = ["lints"];
    /// <summary>Ridge λ of the user-vector posterior that measures a user's uncertainty.</summary>
    public double Lambda { get; init; } = 1;

    public void Validate()
    {
        if (Arms is null || Arms.Count == 0) throw new ArgumentException("the dynamic policy needs at least one arm", nameof(Arms));
        foreach (var a in Arms)
            if (a.Split(':', 2)[0].Trim().Equals("dynamic", StringComparison.OrdinalIgnoreCase) || a.Contains('@'))
                throw new ArgumentException($"dynamic arm '{a}': an arm is a plain policy (no dynamic, no budget)", nameof(Arms));
        if (SharedArms is null) throw new ArgumentNullException(nameof(SharedArms));
        foreach (var a in SharedArms)
            if (!BanditPolicies.Names.Contains(a)) throw new ArgumentException($"dynamic shared arm '{a}' is not a policy name ({string.Join(", ", BanditPolicies.Names)})", nameof(SharedArms));
        if (!(ContextPrior > 0) || !(Memory >= 100) || !(Lambda > 0) || !(DiscoveryHalfLife >= 0))
            throw new ArgumentOutOfRangeException(nameof(ContextPrior), "context prior and λ must be > 0, memory ≥ 100 slots, discovery half-life ≥ 0");
    }
}
