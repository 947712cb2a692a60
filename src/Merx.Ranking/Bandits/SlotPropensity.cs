namespace Merx.Ranking.Bandits;

/// <summary>
/// ε-exploration of a slate and its exact propensities, shared by ε-greedy (over its posterior-mean
/// slate) and <see cref="RankedPolicy"/> (over the exploit model's slate), and used by off-policy
/// evaluation as the target policy's probabilities.
/// <para>
/// The rule: given a base slate of K (its picks' ranks form the "base set"), slot j (0-based, in order)
/// is replaced with probability ε by a candidate drawn uniformly from those not used yet (never the base
/// set), as long as fewer than m = min(maxExplore, n − K) slots were replaced before it. With
/// q_j = P(Binomial(j, ε) &lt; m): the base pick stays at slot j with probability 1 − ε·q_j, and any
/// candidate outside the base set lands at slot j with probability ε·q_j/(n − K) (given i earlier
/// replacements it is still unused with probability (n − K − i)/(n − K) and then drawn with
/// probability 1/(n − K − i)). A base candidate never appears at another slot.
/// </para>
/// </summary>
public static class SlotPropensity
{
    /// <summary>ε·q_j: the probability that slot <paramref name="slot"/> is replaced.</summary>
    public static double ReplaceProbability(double epsilon, int slot, int maxReplacements)
    {
        if (maxReplacements <= 0 || epsilon <= 0) return 0;
        if (slot < maxReplacements) return epsilon;
        // P(Binomial(slot, ε) < m) by the recurrence of the binomial probabilities.
        double term = Math.Pow(1 - epsilon, slot), cdf = 0;
        for (var i = 0; i < maxReplacements; i++)
        {
            cdf += term;
            term *= epsilon >= 1 ? 0 : (double)(slot - i) / (i + 1) * epsilon / (1 - epsilon);
        }
        return epsilon * Math.Min(1, cdf);
    }

    /// <summary>
    /// The probability that the rule puts the candidate at exploit rank <paramref name="rank"/> in slot
    /// <paramref name="slot"/> when the base slate is the exploit top K (rank j at slot j), among
    /// <paramref name="candidates"/> candidates.
    /// </summary>
    public static double OverExploitOrder(double epsilon, int rank, int slot, int candidates, int k, int maxExplore = int.MaxValue)
    {
        k = Math.Min(k, candidates);
        if (slot < 0 || slot >= k || rank < 0 || rank >= candidates) return 0;
        var replace = ReplaceProbability(epsilon, slot, Math.Min(maxExplore, candidates - k));
        if (rank < k) return rank == slot ? 1 - replace : 0;
        return replace / (candidates - k);
    }

    /// <summary>Applies the rule to <paramref name="basePicks"/> (changed in place), setting every pick's exact propensity and presence (a base pick can only be at its slot; an outside one at any slot).</summary>
    internal static SlateDecision Explore(SlatePick[] basePicks, RankedCandidates c, double epsilon, int maxExplore, ref BanditRng rng, Func<int, double> value)
    {
        var k = basePicks.Length;
        var m = Math.Min(maxExplore, c.Count - k);
        var used = new HashSet<int>(basePicks.Select(p => p.ExploitRank));
        var explored = 0;
        // An outside candidate lands in at most one slot: its chance of being shown at all is the sum over slots.
        double outside = 0;
        for (var i = 0; i < k && m > 0; i++) outside += ReplaceProbability(epsilon, i, m) / (c.Count - k);
        for (var i = 0; i < k; i++)
        {
            var replace = ReplaceProbability(epsilon, i, m);
            basePicks[i] = basePicks[i] with { Explored = false, Propensity = 1 - replace, Presence = 1 - replace };
            if (explored >= m || rng.NextDouble() >= epsilon) continue;
            int r;
            do r = rng.Next(c.Count); while (used.Contains(r));
            used.Add(r);
            basePicks[i] = c.Pick(r, value(r), true, replace / (c.Count - k), outside);
            explored++;
        }
        return new SlateDecision(basePicks, k == 0 ? 0 : (double)explored / k);
    }
}
