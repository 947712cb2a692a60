namespace Merx.Privacy.Mechanisms;

/// <summary>
/// The Gaussian mechanism: releasing f(D) + N(0, σ²) per coordinate is (ε, δ)-DP when one person
/// changes f by at most Δ₂ in L2 norm. σ is calibrated by <see cref="AnalyticSigma"/> (Balle &amp;
/// Wang 2018, "Improving the Gaussian Mechanism for Differential Privacy: Analytical Calibration and
/// Optimal Denoising", ICML, Theorem 8: exact for every ε &gt; 0) by default, or by the classic bound
/// <see cref="ClassicSigma"/> σ = Δ₂√(2 ln(1.25/δ))/ε (Dwork &amp; Roth 2014, Theorem A.1), which is only
/// proved for ε &lt; 1 and is looser everywhere.
/// </summary>
public sealed class GaussianMechanism
{
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="sensitivity">L2 sensitivity Δ₂ &gt; 0.</param>
    /// <param name="analytic">True (default): Balle–Wang calibration; false: the classic formula (ε &lt; 1 only).</param>
    public GaussianMechanism(double epsilon, double delta, double sensitivity, bool analytic = true)
    {
        Sigma = analytic ? AnalyticSigma(epsilon, delta, sensitivity) : ClassicSigma(epsilon, delta, sensitivity);
        Epsilon = epsilon;
        Delta = delta;
        Sensitivity = sensitivity;
    }

    public double Epsilon { get; }
    public double Delta { get; }
    public double Sensitivity { get; }

    /// <summary>Noise standard deviation σ (units of the released value).</summary>
    public double Sigma { get; }

    /// <summary>value + N(0, σ²).</summary>
    public double Release(double value, NoiseSource noise) => value + Sigma * noise.NextGaussian();

    /// <summary>Adds independent N(0, σ²) to each element (Δ₂ is the L2 sensitivity of the whole vector).</summary>
    public void ReleaseInPlace(Span<double> values, NoiseSource noise)
    {
        for (var i = 0; i < values.Length; i++) values[i] += Sigma * noise.NextGaussian();
    }

    /// <summary>A noisy count, rounded and clamped at 0.</summary>
    public long ReleaseCount(long count, NoiseSource noise) => Math.Max(0, (long)Math.Round(Release(count, noise)));

    /// <summary>σ = Δ√(2 ln(1.25/δ))/ε. Refuses ε ≥ 1, where the bound is not proved.</summary>
    public static double ClassicSigma(double epsilon, double delta, double sensitivity)
    {
        Check(epsilon, delta, sensitivity);
        if (epsilon >= 1) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "the classic Gaussian calibration σ = Δ√(2 ln(1.25/δ))/ε is only proved for ε < 1; use the analytic calibration");
        return sensitivity * Math.Sqrt(2 * Math.Log(1.25 / delta)) / epsilon;
    }

    /// <summary>
    /// The smallest σ with δ(σ) ≤ δ, where (Balle &amp; Wang 2018, Theorem 8) the mechanism is
    /// (ε, δ(σ))-DP exactly for δ(σ) = Φ(Δ/(2σ) − εσ/Δ) − e^ε·Φ(−Δ/(2σ) − εσ/Δ). δ(σ) decreases in σ, so
    /// bisection on log σ to 1e−12 relative finds it; terms are in log space so large ε does not overflow.
    /// </summary>
    public static double AnalyticSigma(double epsilon, double delta, double sensitivity)
    {
        Check(epsilon, delta, sensitivity);
        double lo = 1e-6 * sensitivity, hi = sensitivity;
        while (PrivacyProfile(epsilon, hi, sensitivity) > delta) { lo = hi; hi *= 2; }
        while (PrivacyProfile(epsilon, lo, sensitivity) <= delta) { hi = lo; lo /= 2; }
        for (var i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
        {
            var mid = Math.Sqrt(lo * hi);
            if (PrivacyProfile(epsilon, mid, sensitivity) > delta) lo = mid; else hi = mid;
        }
        return hi;
    }

    /// <summary>δ(ε) of the Gaussian mechanism with noise σ and sensitivity Δ (Balle &amp; Wang 2018, Theorem 8).</summary>
    public static double PrivacyProfile(double epsilon, double sigma, double sensitivity)
    {
        var a = sensitivity / (2 * sigma);
        var b = epsilon * sigma / sensitivity;
        var logFirst = LogPhi(a - b);
        var logSecond = epsilon + LogPhi(-a - b);
        return logSecond >= logFirst ? 0 : Math.Exp(Accounting.LogMath.LogSub(logFirst, logSecond));
    }

    private static double LogPhi(double x) => Math.Log(0.5) + Accounting.LogMath.LogErfc(-x / Math.Sqrt(2));

    private static void Check(double epsilon, double delta, double sensitivity)
    {
        if (!(epsilon > 0) || double.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite number > 0");
        if (!(delta > 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be in (0, 1)");
        if (!(sensitivity > 0) || double.IsInfinity(sensitivity)) throw new ArgumentOutOfRangeException(nameof(sensitivity), sensitivity, "sensitivity must be a finite number > 0");
    }
}
