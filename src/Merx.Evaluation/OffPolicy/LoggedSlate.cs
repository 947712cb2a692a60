using Merx.Ranking.Bandits;

namespace Merx.Evaluation.OffPolicy;

/// <summary>
/// One served list as off-policy evaluation reads it: the number of candidates the policy chose
/// from, and per slot (best first) the shown candidate's exploit rank, the logging policy's
/// probability of showing it there (<see cref="SlatePick.Propensity"/>) and the reward (1 = clicked).
/// </summary>
public sealed record LoggedSlate(int Candidates, int[] Ranks, double[] Propensities, double[] Rewards)
{
    public int Slots => Ranks.Length;

    /// <summary>Per slot, the logging policy's probability of showing the slot's item in any slot (<see cref="SlatePick.Presence"/>); null when not logged.</summary>
    public double[]? Presences { get; init; }

    /// <summary>A simulated list as logged (every pick must carry its propensity; presences are kept when every pick has one).</summary>
    public static LoggedSlate From(Simulation.SimulatedList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        return new LoggedSlate(list.Candidates, list.Picks.Select(p => p.ExploitRank).ToArray(), list.Picks.Select(p => p.Propensity).ToArray(),
            list.Clicked.Select(c => c ? 1.0 : 0.0).ToArray())
        {
            Presences = list.Picks.All(p => p.Presence > 0) ? list.Picks.Select(p => p.Presence).ToArray() : null,
        };
    }

    /// <summary>Throws when the record cannot be evaluated (lengths differ, a propensity outside (0, 1], a rank outside the candidates).</summary>
    public void Validate()
    {
        if (Propensities.Length != Ranks.Length || Rewards.Length != Ranks.Length) throw new ArgumentException("a logged slate needs one rank, propensity and reward per slot");
        if (Candidates < Ranks.Length) throw new ArgumentException($"a logged slate of {Ranks.Length} slots needs at least as many candidates, not {Candidates}");
        for (var j = 0; j < Ranks.Length; j++)
        {
            if (!(Propensities[j] > 0 && Propensities[j] <= 1)) throw new ArgumentException($"slot {j}: propensity {Propensities[j]} is not in (0, 1]");
            if (Ranks[j] < 0 || Ranks[j] >= Candidates) throw new ArgumentException($"slot {j}: exploit rank {Ranks[j]} is not among the {Candidates} candidates");
            if (!double.IsFinite(Rewards[j])) throw new ArgumentException($"slot {j}: the reward must be finite");
        }
        if (Presences is { } q)
        {
            if (q.Length != Ranks.Length) throw new ArgumentException("a logged slate's presences need one value per slot");
            for (var j = 0; j < q.Length; j++)
                if (!(q[j] > 0 && q[j] <= 1)) throw new ArgumentException($"slot {j}: presence {q[j]} is not in (0, 1]");
        }
    }
}

/// <summary>
/// A target policy whose probability of putting the candidate at each exploit rank in each slot is
/// known for any logged request: the stationary <see cref="RankedPolicy"/> family ("ranked" = the
/// exploit model's own slate, "ranked:E" with ε-exploration outside its top K). Learning policies
/// (Thompson sampling, linear TS, Dynamic) are not targets: their probabilities depend on a state that
/// the log does not hold.
/// </summary>
public sealed record OffPolicyTarget(string Name, double Epsilon)
{
    /// <summary>π(rank at slot | candidates, K).</summary>
    public double Probability(int rank, int slot, int candidates, int k) => SlotPropensity.OverExploitOrder(Epsilon, rank, slot, candidates, k);

    /// <summary>"ranked" or "ranked:E" with E in [0, 1].</summary>
    public static OffPolicyTarget Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var parts = spec.Trim().Split(':', 2);
        if (!parts[0].Equals("ranked", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"off-policy target '{spec}': only the ranked family (ranked, ranked:E) has propensities a log can evaluate; learning policies' depend on their state");
        var e = 0.0;
        if (parts.Length == 2 && (!double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out e) || !(e >= 0 && e <= 1)))
            throw new ArgumentException($"off-policy target '{spec}': ε must be a number in [0, 1]");
        return new OffPolicyTarget(spec.Trim().ToLowerInvariant(), e);
    }

    /// <summary>
    /// The target's expected reward on one request when the true reward of the candidate at exploit
    /// rank r in slot j is <paramref name="examination"/>[j]·<paramref name="ctrByRank"/>[r]: the
    /// quantity the estimators estimate per list, computable only where the truth is known (the simulator).
    /// </summary>
    public double Expected(ReadOnlySpan<double> ctrByRank, ReadOnlySpan<double> examination, int k)
    {
        var n = ctrByRank.Length; k = Math.Min(k, n);
        double v = 0;
        for (var j = 0; j < k; j++)
            for (var r = 0; r < n; r++)
                if (Probability(r, j, n, k) is var p and > 0) v += p * examination[j] * ctrByRank[r];
        return v;
    }
}
