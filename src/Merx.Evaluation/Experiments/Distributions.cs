namespace Merx.Evaluation.Experiments;

/// <summary>
/// The distribution functions the experiment statistics need, in double precision and without
/// packages: the standard normal CDF, upper tail and quantile, and the chi-square CDF and upper
/// tail (through the regularized incomplete gamma function). Upper tails are computed directly,
/// never as 1 − CDF, so p-values as small as 1e-300 keep their relative precision.
/// </summary>
public static class Distributions
{
    private const double InvSqrtPi = 0.56418958354775628695;
    private const double Sqrt2 = 1.41421356237309504880;
    private const double InvSqrt2Pi = 0.39894228040143267794;

    /// <summary>Φ(x) = P(Z ≤ x) for a standard normal Z.</summary>
    public static double NormalCdf(double x) => x < 0 ? 0.5 * Erfc(-x / Sqrt2) : 1 - 0.5 * Erfc(x / Sqrt2);

    /// <summary>1 − Φ(x) = P(Z &gt; x), accurate far into the tail.</summary>
    public static double NormalUpperTail(double x) => x < 0 ? 1 - 0.5 * Erfc(-x / Sqrt2) : 0.5 * Erfc(x / Sqrt2);

    /// <summary>The standard normal density φ(x).</summary>
    public static double NormalPdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// Φ⁻¹(p) for p in (0, 1): an Abramowitz &amp; Stegun 26.2.23 start (error &lt; 4.5e-4) refined by
    /// Newton steps on the upper tail, which converge quadratically to full double precision.
    /// </summary>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a probability strictly between 0 and 1 is needed");
        if (p == 0.5) return 0;
        return p < 0.5 ? -UpperQuantile(p) : UpperQuantile(1 - p);
    }

    /// <summary>The x &gt; 0 with P(Z &gt; x) = q, for q &lt; 0.5.</summary>
    private static double UpperQuantile(double q)
    {
        var t = Math.Sqrt(-2 * Math.Log(q));
        var x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
        for (var i = 0; i < 6; i++)
        {
            var step = (NormalUpperTail(x) - q) / NormalPdf(x);
            x += step;
            if (Math.Abs(step) < 1e-15 * Math.Max(1, Math.Abs(x))) break;
        }
        return x;
    }

    /// <summary>
    /// erfc(x) for x ≥ 0: below 2 as 1 − erf(x) from the all-positive series
    /// erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) (no cancellation); from 2 on by the Laplace
    /// continued fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
    /// </summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 2)
        {
            double term = x, sum = x;
            for (var n = 1; n < 200 && term > 1e-17 * sum; n++)
            {
                term *= 2 * x * x / (2 * n + 1);
                sum += term;
            }
            return 1 - 2 * InvSqrtPi * Math.Exp(-x * x) * sum;
        }
        var f = x;
        for (var k = 60; k >= 1; k--) f = x + 0.5 * k / f;
        return InvSqrtPi * Math.Exp(-x * x) / f;
    }

    /// <summary>P(χ²_df ≤ x).</summary>
    public static double ChiSquareCdf(double x, double df) => x <= 0 ? 0 : GammaP(df / 2, x / 2);

    /// <summary>P(χ²_df &gt; x): the p-value of a chi-square statistic x.</summary>
    public static double ChiSquareUpperTail(double x, double df) => x <= 0 ? 1 : GammaQ(df / 2, x / 2);

    /// <summary>Regularized lower incomplete gamma P(a, x) = γ(a, x)/Γ(a).</summary>
    public static double GammaP(double a, double x)
    {
        Check(a, x);
        if (x == 0) return 0;
        return x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);
    }

    /// <summary>Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly in the tail.</summary>
    public static double GammaQ(double a, double x)
    {
        Check(a, x);
        if (x == 0) return 1;
        return x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos approximation, g = 7, 9 terms; about 15 significant digits).</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        ReadOnlySpan<double> c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        x -= 1;
        var s = c[0];
        for (var i = 1; i < c.Length; i++) s += c[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(s);
    }

    /// <summary>P(a, x) by the series e^(−x)·x^a/Γ(a)·Σ xⁿ/(a(a+1)…(a+n)); converges fast for x &lt; a + 1.</summary>
    private static double GammaSeries(double a, double x)
    {
        double term = 1 / a, sum = term;
        for (var n = 1; n < 10_000; n++)
        {
            term *= x / (a + n);
            sum += term;
            if (term < sum * 1e-16) break;
        }
        return sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
    }

    /// <summary>Q(a, x) by its Legendre continued fraction (modified Lentz evaluation); converges fast for x ≥ a + 1.</summary>
    private static double GammaContinuedFraction(double a, double x)
    {
        const double tiny = 1e-300;
        var b = x + 1 - a;
        var c = 1 / tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < 10_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b; if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }

    private static void Check(double a, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "the gamma shape must be > 0");
        if (!(x >= 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "x must be ≥ 0");
    }
}
