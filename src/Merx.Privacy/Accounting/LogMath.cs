namespace Merx.Privacy.Accounting;

/// <summary>
/// Log-space arithmetic and the complementary error function, in double precision, for the
/// privacy accountant. .NET has no erfc; this one uses the all-positive series
/// erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) below x = 2 (no cancellation) and the
/// Laplace continued fraction above, which also gives log erfc(x) for large x without underflow
/// (erfc(40) ≈ 1e−697 is below double's range, its log is not).
/// </summary>
public static class LogMath
{
    private static readonly double LogSqrtPi = 0.5 * Math.Log(Math.PI);

    /// <summary>log(eˣ + eʸ) without overflow; either may be −∞.</summary>
    public static double LogAdd(double x, double y)
    {
        var (a, b) = x >= y ? (x, y) : (y, x);
        if (double.IsNegativeInfinity(a)) return a;
        return a + Math.Log(1 + Math.Exp(b - a));
    }

    /// <summary>log(eˣ − eʸ) for x ≥ y; −∞ when equal. Throws when x &lt; y (a negative result has no log).</summary>
    public static double LogSub(double x, double y)
    {
        if (y > x) throw new ArithmeticException($"LogSub: log of a negative number (x = {x}, y = {y}).");
        if (double.IsNegativeInfinity(y)) return x;
        if (x == y) return double.NegativeInfinity;
        var d = y - x; // ≤ 0
        return x + (d > -0.693 ? Math.Log(-Expm1(d)) : Log1P(-Math.Exp(d)));
    }

    /// <summary>log(1 + x), accurate for tiny x (.NET's double.LogP1 is log(x + 1), which is not).</summary>
    public static double Log1P(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1); // Goldberg's correction of the rounding in 1 + x
    }

    /// <summary>eˣ − 1, accurate for tiny x (Kahan's correction).</summary>
    public static double Expm1(double x)
    {
        if (Math.Abs(x) < 1e-5) return x + x * x / 2 + x * x * x / 6;
        var u = Math.Exp(x);
        if (u == 1) return x;
        var um1 = u - 1;
        return um1 == -1 ? -1 : um1 * x / Math.Log(u);
    }

    /// <summary>erfc(x) = 1 − erf(x), relative error ≈ 1e−14 over the whole line.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2 - Erfc(-x);
        if (x < 2) return 1 - ErfSeries(x);
        return Math.Exp(LogErfc(x));
    }

    /// <summary>log erfc(x), finite for every finite x (≈ −x² − log(x√π) for large x).</summary>
    public static double LogErfc(double x)
    {
        if (x < 2) return Math.Log(Erfc(x));
        return -x * x - LogSqrtPi + Math.Log(ContinuedFraction(x));
    }

    private static double ErfSeries(double x)
    {
        // 2/√π·e^(−x²)·Σ_{n≥0} (2x²)ⁿ·x / (1·3·…·(2n+1)); every term positive.
        var x2 = x * x;
        var term = x;
        var sum = x;
        for (var n = 1; n < 200; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
    }

    /// <summary>
    /// K(x) with erfc(x) = e^(−x²)/√π · K(x); K(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    /// evaluated by the modified Lentz method. Converges in tens of terms for x ≥ 2.
    /// </summary>
    private static double ContinuedFraction(double x)
    {
        const double tiny = 1e-300;
        var f = x;
        var c = x;
        var d = 0.0;
        for (var k = 1; k < 5000; k++)
        {
            var a = k * 0.5;
            d = x + a * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = x + a / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return 1 / f;
    }
}
