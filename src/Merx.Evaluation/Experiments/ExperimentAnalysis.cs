using System.Globalization;

namespace Merx.Evaluation.Experiments;

/// <summary>
/// One treatment against the control: the fixed-horizon z-test (null until both arms have users),
/// the sequential test, its always-valid CI of the difference pB − pA at this look (null until
/// the sequential test has started), and revenue per user B − A (null below two users per arm).
/// </summary>
public sealed record Comparison(string Control, string Treatment, ProportionTestResult? Test, SequentialState Sequential, (double Lo, double Hi)? AlwaysValidDifference,
    MeanTestResult? RevenuePerUser = null);

/// <summary>Everything a dashboard shows about an experiment at one moment, ending in a plain-language verdict.</summary>
public sealed record ExperimentReport(ExperimentSnapshot Snapshot, SampleRatioResult SampleRatio, IReadOnlyList<Comparison> Comparisons, string Verdict);

/// <summary>
/// Turns an <see cref="ExperimentSnapshot"/> into statistics and a verdict. Decisions rest on the
/// sequential test only (valid however often the dashboard is refreshed); the z-test's lift and CI
/// describe the size of the effect. A sample ratio mismatch overrides every other verdict.
/// </summary>
public static class ExperimentAnalysis
{
    public static ExperimentReport Analyze(ExperimentSnapshot snapshot)
    {
        var v = snapshot.Variants;
        var srm = SampleRatioCheck.Test(v.Select(t => t.Users).ToArray(), v.Select(t => t.Share).ToArray());
        var comparisons = new List<Comparison>();
        for (var i = 1; i < v.Count; i++)
        {
            var (a, b) = (v[0], v[i]);
            var seq = snapshot.Sequential[i - 1];
            var test = a.Users > 0 && b.Users > 0 ? ProportionTest.TwoSided(a.Successes(snapshot.Metric), a.Users, b.Successes(snapshot.Metric), b.Users, 1 - seq.Alpha) : null;
            (double, double)? ci = null;
            if (test is not null && a.Users >= snapshot.Options.MinUsersPerVariant && b.Users >= snapshot.Options.MinUsersPerVariant)
            {
                var s2 = MixtureSprt.PooledVariance(test.SuccessesA, test.UsersA, test.SuccessesB, test.UsersB);
                if (s2 > 0) ci = MixtureSprt.ConfidenceInterval(test.Difference, s2, snapshot.Options.MixingVariance, seq.Alpha);
            }
            var revenue = a.Users >= 2 && b.Users >= 2 ? MeanTest.RevenuePerUser(a, b, 1 - seq.Alpha) : null;
            comparisons.Add(new Comparison(a.Name, b.Name, test, seq, ci, revenue));
        }
        return new ExperimentReport(snapshot, srm, comparisons, Verdict(snapshot, srm, comparisons));
    }

    /// <summary>"CTR", "add-to-cart rate" or "conversion rate".</summary>
    public static string Label(ExperimentMetric metric) => metric switch
    {
        ExperimentMetric.Click => "CTR",
        ExperimentMetric.AddToCart => "add-to-cart rate",
        _ => "conversion rate",
    };

    private static string Verdict(ExperimentSnapshot s, SampleRatioResult srm, IReadOnlyList<Comparison> comparisons)
    {
        var inv = CultureInfo.InvariantCulture;
        if (srm.Mismatch)
        {
            var observed = string.Join(" / ", s.Variants.Select(t => t.Users.ToString("N0", inv)));
            var expected = string.Join(" / ", s.Variants.Select(t => (t.Share * 100).ToString("0.#", inv) + "%"));
            return $"sample ratio mismatch: do not trust these results (users {observed} vs configured {expected}, χ² p = {srm.PValue.ToString("G2", inv)}); check assignment and event logging";
        }
        var min = s.Options.MinUsersPerVariant;
        if (s.Variants.Any(t => t.Users < min))
            return $"not enough data yet: {string.Join(", ", s.Variants.Select(t => $"{t.Name} {t.Users.ToString("N0", inv)}"))} users (the test starts at {min.ToString("N0", inv)} per variant)";
        return string.Join("; ", comparisons.Select(c => Describe(c, Label(s.Metric), inv)));
    }

    private static string Describe(Comparison c, string metric, IFormatProvider inv)
    {
        var t = c.Test!;
        var effect = double.IsFinite(t.RelativeLift)
            ? $"{Pct(t.RelativeLift, inv)} {metric} ({(t.Confidence * 100).ToString("0.#", inv)}% CI {Pct(t.LiftLo, inv)} to {Pct(t.LiftHi, inv)})"
            : $"{metric} {(t.RateB * 100).ToString("0.##", inv)}% vs {(t.RateA * 100).ToString("0.##", inv)}%";
        if (c.Sequential.ConclusiveAtUsers is { } n)
        {
            var better = c.Sequential.ConclusiveDifference > 0 ? $"{c.Treatment} beats {c.Control}" : $"{c.Treatment} is worse than {c.Control}";
            return $"{better}: {effect}, sequential test conclusive after {n.ToString("N0", inv)} users";
        }
        return $"no detectable difference yet between {c.Treatment} and {c.Control}: {effect}; sequential p = {c.Sequential.AlwaysValidP.ToString("0.###", inv)} after {(t.UsersA + t.UsersB).ToString("N0", inv)} users";
    }

    private static string Pct(double x, IFormatProvider inv) => (x < 0 ? "−" : "+") + Math.Abs(x * 100).ToString("F1", inv) + "%";
}
