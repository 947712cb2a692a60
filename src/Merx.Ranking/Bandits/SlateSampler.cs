namespace Merx.Ranking.Bandits;

/// <summary>
/// A policy's slate distribution at one request, frozen: a copy of everything its draw reads (posterior
/// parameters, features, the Cholesky factor, the exploit set, the budget allowance), so that fresh draws
/// can be made later, on another thread and without the policy's lock, from exactly the distribution the
/// served slate came from (<see cref="PropensityRedraws"/>). Each draw writes the exploit rank at every slot.
/// Immutable after construction; a draw allocates only its own scratch.
/// </summary>
internal abstract class SlateSampler
{
    /// <summary>Slots per slate (K).</summary>
    public abstract int Slots { get; }

    /// <summary>Draws one slate: <paramref name="ranks"/>[j] = the exploit rank of the candidate at slot j.</summary>
    public abstract void Draw(ref BanditRng rng, Span<int> ranks);
}

/// <summary>A deterministic policy's slate (greedy, UCB, LinUCB): every draw is the served one.</summary>
internal sealed class FixedSlateSampler(SlateDecision decision) : SlateSampler
{
    private readonly int[] _ranks = [.. decision.Picks.Select(p => p.ExploitRank)];
    public override int Slots => _ranks.Length;
    public override void Draw(ref BanditRng rng, Span<int> ranks) => _ranks.CopyTo(ranks);
}

/// <summary>
/// A slate by sampled index values: draws one value per candidate, then takes the top K with at most
/// <c>maxExplore</c> picks outside the exploit set (<see cref="BanditPolicy"/>'s TopSlate rule). Subclasses
/// say how a value is drawn.
/// </summary>
internal abstract class IndexSampler(bool[] exploit, int k, int maxExplore) : SlateSampler
{
    public override int Slots => k;

    private protected abstract void Values(ref BanditRng rng, Span<double> index);

    public override void Draw(ref BanditRng rng, Span<int> ranks)
    {
        var index = new double[exploit.Length];
        Values(ref rng, index);
        BanditPolicy.SlateRanks(index, exploit, k, maxExplore, ranks);
    }
}

/// <summary>Thompson sampling per item: candidate r's value ~ Beta(A[r], B[r]), drawn in exploit order.</summary>
internal sealed class BetaSampler(double[] a, double[] b, bool[] exploit, int k, int maxExplore) : IndexSampler(exploit, k, maxExplore)
{
    private protected override void Values(ref BanditRng rng, Span<double> index)
    {
        for (var r = 0; r < a.Length; r++) index[r] = rng.NextBeta(a[r], b[r]);
    }
}

/// <summary>
/// Linear Thompson sampling: θ̃ = θ̂ + scale·L·ξ with L the Cholesky factor of A⁻¹ (computed once, at the
/// freeze) and ξ ~ N(0, I); candidate r's value p₀(r) + θ̃ᵀx_r with its features x_r (computed once). A draw
/// costs D² + n·D multiply-adds instead of a whole selection (features, D³/6 factorisation).
/// </summary>
internal sealed class LinearSampler(double[] theta, double[] cholesky, double scale, double[][] x, double[] prior, bool[] exploit, int k, int maxExplore)
    : IndexSampler(exploit, k, maxExplore)
{
    private protected override void Values(ref BanditRng rng, Span<double> index)
    {
        var draw = LinearHead.Sample(theta, cholesky, ref rng, scale);
        for (var r = 0; r < x.Length; r++)
        {
            double s = 0;
            var xr = x[r];
            for (var j = 0; j < draw.Length; j++) s += draw[j] * xr[j];
            index[r] = prior[r] + s;
        }
    }
}

/// <summary>ε-exploration of a fixed base slate (<see cref="SlotPropensity.Explore"/>): ε-greedy inside a mixture.</summary>
internal sealed class EpsilonSampler(SlatePick[] basePicks, RankedCandidates c, double epsilon, int maxExplore) : SlateSampler
{
    public override int Slots => basePicks.Length;

    public override void Draw(ref BanditRng rng, Span<int> ranks)
    {
        var d = SlotPropensity.Explore((SlatePick[])basePicks.Clone(), c, epsilon, maxExplore, ref rng, _ => 0);
        for (var j = 0; j < d.Picks.Length; j++) ranks[j] = d.Picks[j].ExploitRank;
    }
}

/// <summary>
/// The Dynamic policy's draw: an arm by Thompson sampling over its Beta(α, β) click rate in the request's
/// context cell (as <c>DynamicPolicy.ChooseArm</c>), then that arm's own draw.
/// </summary>
internal sealed class MixtureSampler(double[] alpha, double[] beta, SlateSampler[] arms) : SlateSampler
{
    public override int Slots => arms[0].Slots;

    public override void Draw(ref BanditRng rng, Span<int> ranks)
    {
        var arm = 0; var best = double.NegativeInfinity;
        for (var a = 0; a < arms.Length; a++)
        {
            var draw = arms.Length == 1 ? 0 : rng.NextBeta(alpha[a], beta[a]);
            if (draw > best) { best = draw; arm = a; }
        }
        arms[arm].Draw(ref rng, ranks);
    }
}
