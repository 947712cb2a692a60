namespace Merx.Ranking.Bandits;

/// <summary>
/// Bayesian linear regression y ≈ θᵀx with a ridge prior θ ~ N(0, I/λ): keeps A⁻¹ = (λI + Σ x xᵀ)⁻¹
/// and b = Σ y x, with θ̂ = A⁻¹b. Each observation is a rank-one Sherman–Morrison update of A⁻¹
/// (O(D²): about 4k multiply-adds for D = 66), never a fresh inverse. Not thread-safe: the owning
/// policy holds its lock.
/// </summary>
internal sealed class LinearHead
{
    private readonly double[] _z;
    private double[]? _cholesky; // L of the current A⁻¹, until the next update

    public LinearHead(int dimension, double lambda = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!(lambda > 0)) throw new ArgumentOutOfRangeException(nameof(lambda), "λ must be > 0");
        D = dimension; Lambda = lambda;
        Inverse = new double[D * D];
        for (var i = 0; i < D; i++) Inverse[i * D + i] = 1 / lambda;
        B = new double[D]; Theta = new double[D]; _z = new double[D];
    }

    public int D { get; }
    public double Lambda { get; }
    /// <summary>(D, D) row-major A⁻¹.</summary>
    public double[] Inverse { get; }
    /// <summary>(D) Σ y·x.</summary>
    public double[] B { get; }
    /// <summary>(D) posterior mean A⁻¹b.</summary>
    public double[] Theta { get; }
    public long Observations { get; private set; }

    public double Mean(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (var i = 0; i < D; i++) s += Theta[i] * x[i];
        return s;
    }

    /// <summary>xᵀA⁻¹x: the posterior variance of θᵀx per unit noise variance.</summary>
    public double Variance(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (var i = 0; i < D; i++)
        {
            var row = Inverse.AsSpan(i * D, D);
            double t = 0;
            for (var j = 0; j < D; j++) t += row[j] * x[j];
            s += x[i] * t;
        }
        return Math.Max(0, s);
    }

    /// <summary>A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x); b ← b + y·x; θ ← A⁻¹b.</summary>
    public void Update(ReadOnlySpan<double> x, double y)
    {
        var z = _z;
        double denom = 1;
        for (var i = 0; i < D; i++)
        {
            var row = Inverse.AsSpan(i * D, D);
            double t = 0;
            for (var j = 0; j < D; j++) t += row[j] * x[j];
            z[i] = t; denom += x[i] * t;
        }
        for (var i = 0; i < D; i++)
        {
            var row = Inverse.AsSpan(i * D, D);
            var zi = z[i] / denom;
            for (var j = 0; j < D; j++) row[j] -= zi * z[j];
            B[i] += y * x[i];
        }
        for (var i = 0; i < D; i++)
        {
            var row = Inverse.AsSpan(i * D, D);
            double t = 0;
            for (var j = 0; j < D; j++) t += row[j] * B[j];
            Theta[i] = t;
        }
        Observations++;
        _cholesky = null;
    }

    /// <summary>A draw θ̃ ~ N(θ̂, scale²·A⁻¹) via the Cholesky factor of A⁻¹ (D³/6 flops).</summary>
    public double[] Sample(ref BanditRng rng, double scale) => Sample(Theta, Cholesky(), ref rng, scale);

    /// <summary>
    /// (D, D) row-major lower-triangular L with L·Lᵀ = A⁻¹ (a non-positive pivot floored at 1e-12). Computed once per
    /// state of A⁻¹ (D³/6 flops, as much as scoring 20 candidates) and shared until the next update: callers only read it.
    /// </summary>
    public double[] Cholesky() => _cholesky ??= Factor();

    private double[] Factor()
    {
        var l = new double[D * D];
        for (var i = 0; i < D; i++)
            for (var j = 0; j <= i; j++)
            {
                var s = Inverse[i * D + j];
                for (var p = 0; p < j; p++) s -= l[i * D + p] * l[j * D + p];
                l[i * D + j] = i == j ? Math.Sqrt(Math.Max(s, 1e-12)) : s / l[j * D + j];
            }
        return l;
    }

    /// <summary>θ̃ = <paramref name="theta"/> + scale·L·ξ, ξ ~ N(0, I) (D normal draws in order): reused across draws from one factor.</summary>
    public static double[] Sample(double[] theta, double[] cholesky, ref BanditRng rng, double scale)
    {
        var d = theta.Length;
        Span<double> xi = stackalloc double[d];
        for (var i = 0; i < d; i++) xi[i] = rng.NextGaussian();
        var result = new double[d];
        for (var i = 0; i < d; i++)
        {
            double s = 0;
            for (var p = 0; p <= i; p++) s += cholesky[i * d + p] * xi[p];
            result[i] = theta[i] + scale * s;
        }
        return result;
    }

    public void Write(BinaryWriter w)
    {
        w.Write(D); w.Write(Lambda); w.Write(Observations);
        foreach (var v in Inverse) w.Write(v);
        foreach (var v in B) w.Write(v);
    }

    public void Read(BinaryReader r)
    {
        var d = r.ReadInt32(); var lambda = r.ReadDouble();
        if (d != D || lambda != Lambda) throw new InvalidDataException($"bandit state has a linear head of dimension {d} (λ={lambda}); this policy has {D} (λ={Lambda})");
        Observations = r.ReadInt64();
        for (var i = 0; i < Inverse.Length; i++) Inverse[i] = r.ReadDouble();
        for (var i = 0; i < D; i++) B[i] = r.ReadDouble();
        _cholesky = null;
        for (var i = 0; i < D; i++)
        {
            double t = 0;
            for (var j = 0; j < D; j++) t += Inverse[i * D + j] * B[j];
            Theta[i] = t;
        }
    }
}
