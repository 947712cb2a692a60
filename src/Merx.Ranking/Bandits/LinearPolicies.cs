using Merx.Core.Contracts;

namespace Merx.Ranking.Bandits;

/// <summary>
/// NeuralLinear head shared by LinUCB and linear Thompson sampling. Choice: one posterior shared by
/// all items, with the item's vector as part of the features, rather than one posterior per item:
/// a per-item (D×D) matrix costs 35 KB per item at D = 66 and learns nothing about items never
/// shown, while the shared head generalises from every click to every item and keeps the state at
/// one (D×D) matrix. Features of (user u, item i at exploit rank r):
/// x = [√d·(u ⊙ vᵢ) (d), p₀(r)/ĝ, 1] with u the request's user vector and vᵢ the item's row of
/// <see cref="IItemVectors"/> (zeros when it has none). The head models the residual y − p₀(r) of the click over
/// the exploit prior, so before feedback both policies serve the exploit top K. Without an encoder
/// the features are the prior and the intercept alone.
/// </summary>
public abstract class LinearPolicy : BanditPolicy
{
    private readonly IItemVectors? _vectors;
    private protected readonly LinearHead Head;
    private readonly int _d;

    protected LinearPolicy(IItemVectors? vectors, int seed, double lambda) : base(seed)
    {
        _vectors = vectors;
        _d = vectors?.Dimension ?? 0;
        Head = new LinearHead(_d + 2, lambda);
    }

    /// <summary>Feature length D = encoder dimension + 2.</summary>
    public int FeatureDimension => Head.D;

    private protected void Features(BanditRequest request, int item, int rank, int k, Span<double> x, out double p0)
    {
        p0 = PriorMean(rank, k);
        x.Clear();
        var u = request.UserVector.Span;
        if (_d > 0 && u.Length > 0)
        {
            if (u.Length != _d) throw new ArgumentException($"user vector has {u.Length} entries; the encoder's dimension is {_d}", nameof(request));
            Span<float> scratch = stackalloc float[_d];
            var v = _vectors!.Row(item, scratch);
            if (!v.IsEmpty)
            {
                var s = Math.Sqrt(_d);
                for (var j = 0; j < _d; j++) x[j] = s * u[j] * v[j];
            }
        }
        x[_d] = p0 / Ctr;
        x[_d + 1] = 1;
    }

    /// <summary>Posterior mean p₀ + θᵀx and variance xᵀA⁻¹x of every candidate (the variance is D² per candidate: only LinUCB needs it).</summary>
    private protected (double[] Mean, double[] Var) Evaluate(BanditRequest request, RankedCandidates c, int k)
    {
        var mean = new double[c.Count]; var variance = new double[c.Count];
        Span<double> x = stackalloc double[Head.D];
        for (var r = 0; r < c.Count; r++)
        {
            Features(request, c.Items[r].Item, r, k, x, out var p0);
            mean[r] = p0 + Head.Mean(x);
            variance[r] = Head.Variance(x);
        }
        return (mean, variance);
    }

    private protected override void UpdateCore(BanditFeedback f)
    {
        Span<double> x = stackalloc double[Head.D];
        Features(f.Request, f.Item, f.ExploitRank, f.SlateSize, x, out var p0);
        Head.Update(x, (f.Clicked ? 1 : 0) - p0);
    }

    private protected override void WriteState(BinaryWriter w) => Head.Write(w);
    private protected override void ReadState(BinaryReader r) => Head.Read(r);

    /// <summary>Noise scale of a click: √(ĝ(1−ĝ)), the Bernoulli standard deviation at the running CTR.</summary>
    private protected double NoiseSd => Math.Sqrt(Ctr * (1 - Ctr));
}

/// <summary>LinUCB (Li et al. 2010) on the shared NeuralLinear head: mean + α·σ·√(xᵀA⁻¹x).</summary>
public sealed class LinUcbPolicy(IItemVectors? vectors, double alpha = 1, int seed = 42, double lambda = 1) : LinearPolicy(vectors, seed, lambda)
{
    /// <summary>Over an encoder's own item vectors (by its item index).</summary>
    public LinUcbPolicy(IUserEncoder? encoder, double alpha = 1, int seed = 42, double lambda = 1) : this(EncoderRows.Of(encoder), alpha, seed, lambda) { }

    public override string Name => "linucb";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var (mean, variance) = Evaluate(request, c, k);
        var index = new double[c.Count];
        var sd = NoiseSd;
        for (var r = 0; r < c.Count; r++) index[r] = mean[r] + alpha * sd * Math.Sqrt(variance[r]);
        return TopSlate(c, index, mean, k, maxExplore, deterministic: true);
    }

    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore) => new FixedSlateSampler(SelectCore(request, c, k, maxExplore));
}

/// <summary>Linear Thompson sampling (Agrawal &amp; Goyal 2013): one θ̃ ~ N(θ̂, v²σ²A⁻¹) per request, index p₀ + θ̃ᵀx.</summary>
public sealed class LinearThompsonPolicy(IItemVectors? vectors, double v = 1, int seed = 42, double lambda = 1) : LinearPolicy(vectors, seed, lambda)
{
    /// <summary>Over an encoder's own item vectors (by its item index).</summary>
    public LinearThompsonPolicy(IUserEncoder? encoder, double v = 1, int seed = 42, double lambda = 1) : this(EncoderRows.Of(encoder), v, seed, lambda) { }

    public override string Name => "lints";

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        // The features live one candidate at a time (200 arrays of D doubles a request were most of the policy's allocation).
        var theta = Head.Sample(ref Rng, v * NoiseSd);
        var mean = new double[c.Count]; var index = new double[c.Count];
        Span<double> x = stackalloc double[Head.D];
        for (var r = 0; r < c.Count; r++)
        {
            Features(request, c.Items[r].Item, r, k, x, out var p0);
            mean[r] = p0 + Head.Mean(x);
            double s = 0;
            for (var j = 0; j < theta.Length; j++) s += theta[j] * x[j];
            index[r] = p0 + s;
        }
        return TopSlate(c, index, mean, k, maxExplore);
    }

    /// <summary>The features and the Cholesky factor once per request, so a redraw costs D² + n·D (not a whole selection).</summary>
    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        // Means only: the freeze runs on the request path (for Dynamic, for every request), and xᵀA⁻¹x (D² per candidate) is not needed.
        var mean = new double[c.Count]; var prior = new double[c.Count]; var xs = new double[c.Count][];
        for (var r = 0; r < c.Count; r++)
        {
            var x = xs[r] = new double[Head.D];
            Features(request, c.Items[r].Item, r, k, x, out prior[r]);
            mean[r] = prior[r] + Head.Mean(x);
        }
        return new LinearSampler([.. Head.Theta], Head.Cholesky(), v * NoiseSd, xs, prior, ExploitSet(mean, k), k, maxExplore);
    }
}
