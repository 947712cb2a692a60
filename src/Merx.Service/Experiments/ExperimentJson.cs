using Merx.Evaluation.Experiments;

namespace Merx.Service.Experiments;

/// <summary>The wire shape of an experiment report (flat numbers; the library's records hold tuples and domain types).</summary>
public static class ExperimentJson
{
    /// <summary>JSON has no ±∞ or NaN: an interval that is still unbounded (too few users) is written as null.</summary>
    private static double? F(double x) => double.IsFinite(x) ? x : null;

    public static ExperimentResponse Describe(ExperimentDefinition d, ExperimentReport r) => new(
        d.Id, d.Metric, d.BaseRate, d.CreatedAt, d.StoppedAt, d.StoppedAt is null, r.Verdict,
        r.Snapshot.Variants.Select(v => Variant(v, d.Variants.First(c => c.Name == v.Name))).ToArray(),
        new SampleRatioJson(F(r.SampleRatio.ChiSquare), F(r.SampleRatio.PValue), r.SampleRatio.Mismatch),
        r.Comparisons.Select(Compare).ToArray());

    private static VariantJson Variant(VariantTally v, VariantConfig config) => new(
        v.Name, v.Share, config.Explore, config.DiversityLambda, v.Users, v.Impressions, v.Clicks, v.AddToCarts, v.Purchases,
        Ctr: v.Impressions > 0 ? (double)v.Clicks / v.Impressions : 0,
        ClickRate: v.Users > 0 ? (double)v.ClickingUsers / v.Users : 0,
        AddToCartRate: v.Users > 0 ? (double)v.CartUsers / v.Users : 0,
        PurchaseRate: v.Users > 0 ? (double)v.PurchasingUsers / v.Users : 0,
        RevenuePerUser: F(v.RevenuePerUser));

    private static ComparisonJson Compare(Comparison c) => new(
        c.Control, c.Treatment,
        c.Test is { } t
            ? new ZTestJson(F(t.RateA), F(t.RateB), F(t.Difference), [F(t.DifferenceLo), F(t.DifferenceHi)], F(t.RelativeLift), [F(t.LiftLo), F(t.LiftHi)], F(t.Z), F(t.PValue))
            : null,
        new SequentialJson(F(c.Sequential.AlwaysValidP), c.Sequential.ConclusiveAtUsers, c.Sequential.Looks, c.Sequential.Alpha,
            c.AlwaysValidDifference is { } ci ? [F(ci.Lo), F(ci.Hi)] : null),
        c.RevenuePerUser is { } m ? new RevenueDifferenceJson(F(m.Difference), [F(m.Lo), F(m.Hi)], F(m.PValue)) : null);
}

/// <summary>An experiment with its live report: the variants' tallies and rates, the sample-ratio check, each treatment against the control, and a plain-language verdict.</summary>
public sealed record ExperimentResponse(string Id, string Metric, double BaseRate, DateTimeOffset CreatedAt, DateTimeOffset? StoppedAt, bool Running, string Verdict,
    IReadOnlyList<VariantJson> Variants, SampleRatioJson SampleRatio, IReadOnlyList<ComparisonJson> Comparisons);

/// <summary>One arm: its configuration, counts, and rates (click, cart and purchase rates are per user; <c>Ctr</c> per impression).</summary>
public sealed record VariantJson(string Name, double Share, bool? Explore, float? DiversityLambda, long Users, long Impressions, long Clicks, long AddToCarts, long Purchases,
    double Ctr, double ClickRate, double AddToCartRate, double PurchaseRate, double? RevenuePerUser);

public sealed record SampleRatioJson(double? ChiSquare, double? PValue, bool Mismatch);

/// <summary>A treatment against the control: the fixed-horizon z-test (null before both arms have users), the always-valid sequential test, and revenue per user.</summary>
public sealed record ComparisonJson(string Control, string Treatment, ZTestJson? ZTest, SequentialJson Sequential, RevenueDifferenceJson? RevenuePerUser);

/// <summary>Intervals are <c>[lo, hi]</c>; an unbounded end is null.</summary>
public sealed record ZTestJson(double? RateA, double? RateB, double? Difference, IReadOnlyList<double?> DifferenceCi, double? RelativeLift, IReadOnlyList<double?> LiftCi, double? Z, double? PValue);

public sealed record SequentialJson(double? AlwaysValidP, long? ConclusiveAtUsers, long Looks, double Alpha, IReadOnlyList<double?>? DifferenceCi);

public sealed record RevenueDifferenceJson(double? Difference, IReadOnlyList<double?> Ci, double? PValue);

/// <summary>Every experiment with its report (null for one whose report is not available).</summary>
public sealed record ExperimentList(IReadOnlyList<ExperimentResponse?> Experiments);
