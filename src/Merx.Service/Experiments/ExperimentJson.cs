using Merx.Evaluation.Experiments;

namespace Merx.Service.Experiments;

/// <summary>The wire shape of an experiment report (flat numbers; the library's records hold tuples and domain types).</summary>
public static class ExperimentJson
{
    /// <summary>JSON has no ±∞ or NaN: an interval that is still unbounded (too few users) is written as null.</summary>
    private static double? F(double x) => double.IsFinite(x) ? x : null;

    public static object Describe(ExperimentDefinition d, ExperimentReport r) => new
    {
        id = d.Id,
        metric = d.Metric,
        base_rate = d.BaseRate,
        created_at = d.CreatedAt,
        stopped_at = d.StoppedAt,
        running = d.StoppedAt is null,
        verdict = r.Verdict,
        variants = r.Snapshot.Variants.Select(v =>
        {
            var config = d.Variants.First(c => c.Name == v.Name);
            return new
            {
                name = v.Name, share = v.Share, explore = config.Explore, diversity_lambda = config.DiversityLambda,
                users = v.Users, impressions = v.Impressions, clicks = v.Clicks, add_to_carts = v.AddToCarts, purchases = v.Purchases,
                ctr = v.Impressions > 0 ? (double)v.Clicks / v.Impressions : 0,
                click_rate = v.Users > 0 ? (double)v.ClickingUsers / v.Users : 0,
                add_to_cart_rate = v.Users > 0 ? (double)v.CartUsers / v.Users : 0,
                purchase_rate = v.Users > 0 ? (double)v.PurchasingUsers / v.Users : 0,
                revenue_per_user = F(v.RevenuePerUser),
            };
        }).ToArray(),
        sample_ratio = new { chi_square = F(r.SampleRatio.ChiSquare), p_value = F(r.SampleRatio.PValue), mismatch = r.SampleRatio.Mismatch },
        comparisons = r.Comparisons.Select(c => new
        {
            control = c.Control,
            treatment = c.Treatment,
            z_test = c.Test is { } t ? new
            {
                rate_a = F(t.RateA), rate_b = F(t.RateB), difference = F(t.Difference), difference_ci = new[] { F(t.DifferenceLo), F(t.DifferenceHi) },
                relative_lift = F(t.RelativeLift), lift_ci = new[] { F(t.LiftLo), F(t.LiftHi) }, z = F(t.Z), p_value = F(t.PValue),
            } : null,
            sequential = new
            {
                always_valid_p = F(c.Sequential.AlwaysValidP), conclusive_at_users = c.Sequential.ConclusiveAtUsers, looks = c.Sequential.Looks, alpha = c.Sequential.Alpha,
                difference_ci = c.AlwaysValidDifference is { } ci ? new[] { F(ci.Lo), F(ci.Hi) } : null,
            },
            revenue_per_user = c.RevenuePerUser is { } m ? new { difference = F(m.Difference), ci = new[] { F(m.Lo), F(m.Hi) }, p_value = F(m.PValue) } : null,
        }).ToArray(),
    };
}
