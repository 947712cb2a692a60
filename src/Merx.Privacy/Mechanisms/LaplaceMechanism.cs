namespace Merx.Privacy.Mechanisms;

/// <summary>
/// The Laplace mechanism (Dwork, McSherry, Nissim &amp; Smith 2006): releasing f(D) + Lap(Δ₁/ε) is
/// ε-DP when one person changes f by at most Δ₁ in L1 norm (a count: Δ₁ = 1 per event a person
/// may contribute; a sum of values clipped to [0, C]: Δ₁ = C). Pure DP (δ = 0). Noise is drawn in
/// double precision; the release is not hardened against Mironov's 2012 floating-point
/// least-significant-bit attack beyond the rounding that <see cref="ReleaseCount"/> applies.
/// </summary>
public sealed class LaplaceMechanism
{
    /// <param name="epsilon">Privacy loss ε &gt; 0 of one release.</param>
    /// <param name="sensitivity">L1 sensitivity Δ₁ &gt; 0 (units of the released value).</param>
    public LaplaceMechanism(double epsilon, double sensitivity)
    {
        if (!(epsilon > 0) || double.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite number > 0");
        if (!(sensitivity > 0) || double.IsInfinity(sensitivity)) throw new ArgumentOutOfRangeException(nameof(sensitivity), sensitivity, "sensitivity must be a finite number > 0");
        Epsilon = epsilon;
        Sensitivity = sensitivity;
        Scale = sensitivity / epsilon;
    }

    public double Epsilon { get; }
    public double Sensitivity { get; }

    /// <summary>Laplace scale b = Δ₁/ε; the noise has standard deviation b√2.</summary>
    public double Scale { get; }

    /// <summary>value + Lap(b).</summary>
    public double Release(double value, NoiseSource noise) => value + noise.NextLaplace(Scale);

    /// <summary>Adds independent Lap(b) to each element (Δ₁ is then the L1 sensitivity of the whole vector).</summary>
    public void ReleaseInPlace(Span<double> values, NoiseSource noise)
    {
        for (var i = 0; i < values.Length; i++) values[i] += noise.NextLaplace(Scale);
    }

    /// <summary>A noisy count, rounded to an integer and clamped at 0 (post-processing, free in privacy).</summary>
    public long ReleaseCount(long count, NoiseSource noise) => Math.Max(0, (long)Math.Round(Release(count, noise)));
}
