namespace Merx.Evaluation.Experiments;

/// <summary>Observed users per variant against the configured shares: χ² statistic, p-value and whether it is a mismatch.</summary>
public sealed record SampleRatioResult(IReadOnlyList<long> Observed, IReadOnlyList<double> ExpectedShares, double ChiSquare, int DegreesOfFreedom, double PValue, bool Mismatch);

/// <summary>
/// Sample ratio mismatch (SRM) check: a chi-square goodness-of-fit test of the users each variant
/// received against the configured traffic shares. A mismatch (p &lt; 0.001 by default, the usual
/// threshold since the check runs on every look) means assignment or logging is broken, and the
/// experiment's comparisons cannot be trusted whatever they say.
/// </summary>
public static class SampleRatioCheck
{
    public const double DefaultThreshold = 0.001;

    public static SampleRatioResult Test(IReadOnlyList<long> observed, IReadOnlyList<double> shares, double threshold = DefaultThreshold)
    {
        if (observed.Count != shares.Count || observed.Count < 2) throw new ArgumentException("need one observed count per variant, and at least two variants");
        if (observed.Any(o => o < 0)) throw new ArgumentException("observed counts must be ≥ 0");
        var total = observed.Sum();
        var chi = 0.0;
        if (total > 0)
            for (var v = 0; v < observed.Count; v++)
            {
                var e = total * shares[v];
                chi += (observed[v] - e) * (observed[v] - e) / e;
            }
        var df = observed.Count - 1;
        var p = total > 0 ? Distributions.ChiSquareUpperTail(chi, df) : 1;
        return new SampleRatioResult(observed.ToArray(), shares.ToArray(), chi, df, p, p < threshold);
    }
}
