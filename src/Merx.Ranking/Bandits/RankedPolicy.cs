namespace Merx.Ranking.Bandits;

/// <summary>
/// "ranked:E": the exploit model's top K, each slot replaced with probability E by a candidate drawn
/// uniformly from outside the top K (<see cref="SlotPropensity"/>). It learns nothing, so the
/// probability of every (item, slot) depends only on the item's exploit rank and is known exactly:
/// the logging policy to run where the shop wants to evaluate other policies off-line (every
/// candidate has a chance at every slot it could take under another ranked:E′), and the family of
/// target policies <c>merx ope</c> evaluates ("ranked" = ranked:0 is the exploit model's own slate).
/// </summary>
public sealed class RankedPolicy : BanditPolicy
{
    public RankedPolicy(double epsilon = 0, int seed = 42) : base(seed)
    {
        if (epsilon is < 0 or > 1 || double.IsNaN(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), "ε must be in [0, 1]");
        Epsilon = epsilon;
    }

    public double Epsilon { get; }
    public override string Name => "ranked";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var picks = new SlatePick[k];
        for (var r = 0; r < k; r++) picks[r] = c.Pick(r, c.Items[r].Score, false);
        return SlotPropensity.Explore(picks, c, Epsilon, maxExplore, ref Rng, r => c.Items[r].Score);
    }

    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var picks = new SlatePick[k];
        for (var r = 0; r < k; r++) picks[r] = c.Pick(r, c.Items[r].Score, false);
        return new EpsilonSampler(picks, c, Epsilon, maxExplore);
    }

    private protected override void UpdateCore(BanditFeedback feedback) { }
    private protected override void WriteState(BinaryWriter w) => w.Write(Epsilon);

    private protected override void ReadState(BinaryReader r)
    {
        var e = r.ReadDouble();
        if (e != Epsilon) throw new InvalidDataException($"bandit state is ranked:{e}; this policy is ranked:{Epsilon}");
    }
}
