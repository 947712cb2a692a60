namespace Merx.Evaluation.Experiments;

/// <summary>
/// A fixed-horizon comparison of two proportions (control A, treatment B): rates, difference
/// B − A with its unpooled CI, relative lift B/A − 1 with its CI, and the pooled z statistic and
/// two-sided p-value. Valid for one look at a sample size fixed in advance, not for peeking.
/// </summary>
public sealed record ProportionTestResult(
    long SuccessesA, long UsersA, long SuccessesB, long UsersB,
    double RateA, double RateB, double Difference, double DifferenceLo, double DifferenceHi,
    double RelativeLift, double LiftLo, double LiftHi, double Z, double PValue, double Confidence);

public static class ProportionTest
{
    /// <summary>
    /// Two-sided two-proportion z-test. The test uses the pooled standard error
    /// √(p̄(1−p̄)(1/nA + 1/nB)) (the variance under H0: pA = pB); the CI of the difference uses the
    /// unpooled √(pA(1−pA)/nA + pB(1−pB)/nB); the CI of the relative lift is the unpooled delta-method
    /// interval of ln(pB/pA), with SE √((1−pA)/xA + (1−pB)/xB), mapped back by exp(·) − 1 (Katz
    /// et al. 1978), so it never goes below −100%. Lift and its CI are NaN while either arm has no success.
    /// </summary>
    public static ProportionTestResult TwoSided(long successesA, long usersA, long successesB, long usersB, double confidence = 0.95)
    {
        Check(successesA, usersA, "A"); Check(successesB, usersB, "B");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must be in (0, 1)");
        double xA = successesA, nA = usersA, xB = successesB, nB = usersB;
        double pA = xA / nA, pB = xB / nB, diff = pB - pA;
        var pooled = (xA + xB) / (nA + nB);
        var sePooled = Math.Sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
        var z = sePooled > 0 ? diff / sePooled : 0;
        var p = Math.Min(1, 2 * Distributions.NormalUpperTail(Math.Abs(z)));
        var q = Distributions.NormalQuantile(0.5 + confidence / 2);
        var se = Math.Sqrt(pA * (1 - pA) / nA + pB * (1 - pB) / nB);
        double lift = double.NaN, liftLo = double.NaN, liftHi = double.NaN;
        if (xA > 0 && xB > 0)
        {
            var logRatio = Math.Log(pB / pA);
            var seLog = Math.Sqrt((1 - pA) / xA + (1 - pB) / xB);
            lift = pB / pA - 1;
            liftLo = Math.Exp(logRatio - q * seLog) - 1;
            liftHi = Math.Exp(logRatio + q * seLog) - 1;
        }
        return new ProportionTestResult(successesA, usersA, successesB, usersB, pA, pB, diff, diff - q * se, diff + q * se, lift, liftLo, liftHi, z, p, confidence);
    }

    private static void Check(long x, long n, string arm)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"arm {arm} needs at least one user");
        if (x < 0 || x > n) throw new ArgumentOutOfRangeException(nameof(x), x, $"arm {arm}: successes must be between 0 and the {n} users");
    }
}
