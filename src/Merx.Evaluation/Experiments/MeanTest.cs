namespace Merx.Evaluation.Experiments;

/// <summary>Difference of two means (B − A) with its CI, z statistic and two-sided p-value.</summary>
public sealed record MeanTestResult(double MeanA, double MeanB, double Difference, double Lo, double Hi, double Z, double PValue, double Confidence);

/// <summary>
/// Large-sample comparison of two means with unequal variances (Welch's statistic read against the
/// normal, which is what it converges to at the thousands of users an experiment has): SE =
/// √(sA²/nA + sB²/nB). Used for revenue per user, from the tallies' sums and sums of squares.
/// A fixed-horizon figure, like <see cref="ProportionTest"/>: it describes, the sequential test decides.
/// </summary>
public static class MeanTest
{
    public static MeanTestResult Welch(double meanA, double varianceA, long usersA, double meanB, double varianceB, long usersB, double confidence = 0.95)
    {
        if (usersA < 2 || usersB < 2) throw new ArgumentOutOfRangeException(nameof(usersA), "each arm needs at least two users");
        if (!(varianceA >= 0) || !(varianceB >= 0)) throw new ArgumentOutOfRangeException(nameof(varianceA), "variances must be ≥ 0");
        var diff = meanB - meanA;
        var se = Math.Sqrt(varianceA / usersA + varianceB / usersB);
        var z = se > 0 ? diff / se : 0;
        var q = Distributions.NormalQuantile(0.5 + confidence / 2);
        return new MeanTestResult(meanA, meanB, diff, diff - q * se, diff + q * se, z, Math.Min(1, 2 * Distributions.NormalUpperTail(Math.Abs(z))), confidence);
    }

    /// <summary>Revenue per user of treatment B against control A.</summary>
    public static MeanTestResult RevenuePerUser(VariantTally a, VariantTally b, double confidence = 0.95) =>
        Welch(a.RevenuePerUser, a.RevenuePerUserVariance, a.Users, b.RevenuePerUser, b.RevenuePerUserVariance, b.Users, confidence);
}
