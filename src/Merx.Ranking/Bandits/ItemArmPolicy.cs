namespace Merx.Ranking.Bandits;

/// <summary>
/// Base of the per-item policies: a Beta-Bernoulli posterior per arm, its prior centred on the
/// exploit-rank prior p₀ with <see cref="PriorStrength"/> pseudo-impressions:
/// Beta(m·p₀ + clicks, m·(1−p₀) + shows − clicks). An arm is an item, or (segment, item) when
/// <see cref="Segmented"/>: segments come from the request, or from the history length
/// (0 items, 1–4, 5–19, 20+) when the request names none.
/// </summary>
public abstract class ItemArmPolicy : BanditPolicy
{
    private protected readonly ArmTable Arms = new();

    protected ItemArmPolicy(int seed, double priorStrength, bool segmented) : base(seed)
    {
        if (!(priorStrength > 0)) throw new ArgumentOutOfRangeException(nameof(priorStrength), "prior strength must be > 0");
        PriorStrength = priorStrength; Segmented = segmented;
    }

    public double PriorStrength { get; }
    public bool Segmented { get; }

    public static int SegmentOf(BanditRequest request) => request.Segment >= 0 ? request.Segment : request.HistoryLength switch
    {
        0 => 0,
        < 5 => 1,
        < 20 => 2,
        _ => 3,
    };

    private protected long Key(BanditRequest request, int item) => Segmented ? ((long)SegmentOf(request) << 32) | (uint)item : item;

    /// <summary>Posterior Beta parameters of the candidate at exploit rank <paramref name="rank"/>.</summary>
    private protected (double A, double B) Posterior(BanditRequest request, RankedCandidates c, int rank, int k)
    {
        var p0 = PriorMean(rank, k);
        var (s, cl) = Arms.Get(Key(request, c.Items[rank].Item));
        return (PriorStrength * p0 + cl, PriorStrength * (1 - p0) + s - cl);
    }

    /// <summary>Posterior means and pull counts (shows + prior strength) of all candidates.</summary>
    private protected (double[] Mean, double[] Pulls) Means(BanditRequest request, RankedCandidates c, int k)
    {
        var mean = new double[c.Count]; var pulls = new double[c.Count];
        for (var r = 0; r < c.Count; r++)
        {
            var (a, b) = Posterior(request, c, r, k);
            mean[r] = a / (a + b); pulls[r] = a + b;
        }
        return (mean, pulls);
    }

    private protected override void UpdateCore(BanditFeedback f) => Arms.Add(Key(f.Request, f.Item), f.Clicked);
    private protected override void WriteState(BinaryWriter w) => Arms.Write(w);
    private protected override void ReadState(BinaryReader r) => Arms.Read(r);
}

/// <summary>Greedy: the top K by posterior mean. Learns, never explores on purpose.</summary>
public sealed class GreedyPolicy(int seed = 42, double priorStrength = 10) : ItemArmPolicy(seed, priorStrength, false)
{
    public override string Name => "greedy";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var (mean, _) = Means(request, c, k);
        return TopSlate(c, mean, mean, k, deterministic: true);
    }

    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore) => new FixedSlateSampler(SelectCore(request, c, k, maxExplore));
}

/// <summary>ε-greedy: the greedy slate, each slot replaced with probability ε by a uniformly drawn other candidate.</summary>
public sealed class EpsilonGreedyPolicy : ItemArmPolicy
{
    public EpsilonGreedyPolicy(double epsilon = 0.1, int seed = 42, double priorStrength = 10) : base(seed, priorStrength, false)
    {
        if (epsilon is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(epsilon), "ε must be in [0, 1]");
        Epsilon = epsilon;
    }

    public double Epsilon { get; }
    public override string Name => "egreedy";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var (mean, _) = Means(request, c, k);
        var greedy = TopSlate(c, mean, mean, k);
        return SlotPropensity.Explore(greedy.Picks, c, Epsilon, maxExplore, ref Rng, r => mean[r]);
    }

    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var (mean, _) = Means(request, c, k);
        return new EpsilonSampler(TopSlate(c, mean, mean, k).Picks, c, Epsilon, maxExplore);
    }
}

/// <summary>
/// UCB1 with the bonus scaled to click rates: mean + sqrt(2·ĝ·ln N / n), where n counts the arm's
/// impressions plus the prior's pseudo-impressions and N all impressions. Plain UCB1's bonus
/// assumes rewards spread over [0, 1]; with CTRs of a few percent it would explore forever.
/// </summary>
public sealed class Ucb1Policy(double scale = 1, int seed = 42, double priorStrength = 10) : ItemArmPolicy(seed, priorStrength, false)
{
    public override string Name => "ucb";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var (mean, pulls) = Means(request, c, k);
        var index = new double[c.Count];
        var logN = Math.Log(TotalShows + PriorStrength + 1);
        for (var r = 0; r < c.Count; r++) index[r] = mean[r] + scale * Math.Sqrt(2 * Ctr * logN / pulls[r]);
        return TopSlate(c, index, mean, k, maxExplore, deterministic: true);
    }

    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore) => new FixedSlateSampler(SelectCore(request, c, k, maxExplore));
}

/// <summary>Beta-Bernoulli Thompson sampling per item, or per (user segment, item) when segmented.</summary>
public sealed class ThompsonPolicy(bool segmented = false, int seed = 42, double priorStrength = 10) : ItemArmPolicy(seed, priorStrength, segmented)
{
    public override string Name => Segmented ? "thompson-seg" : "thompson";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var mean = new double[c.Count]; var sample = new double[c.Count];
        for (var r = 0; r < c.Count; r++)
        {
            var (a, b) = Posterior(request, c, r, k);
            mean[r] = a / (a + b);
            sample[r] = Rng.NextBeta(a, b);
        }
        return TopSlate(c, sample, mean, k, maxExplore);
    }

    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var a = new double[c.Count]; var b = new double[c.Count]; var mean = new double[c.Count];
        for (var r = 0; r < c.Count; r++)
        {
            (a[r], b[r]) = Posterior(request, c, r, k);
            mean[r] = a[r] / (a[r] + b[r]);
        }
        return new BetaSampler(a, b, ExploitSet(mean, k), k, maxExplore);
    }
}
