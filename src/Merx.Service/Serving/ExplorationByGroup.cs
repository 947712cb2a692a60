using Merx.Storage;

namespace Merx.Service.Serving;

/// <summary>
/// Click-through of one kind of slot (explored or exploited) for one user group, with its Wilson
/// score interval: what exploration costs (exploited slots earn more per slot) and earns (what
/// explored slots still get clicked), per group, as the dashboard shows it.
/// </summary>
public sealed record GroupClickThrough(string Group, string Slots, long Shown, long Clicks, double? Ctr, double? Lo, double? Hi);

/// <summary>Explored vs exploited click-through by user group ("established", "new"; lists served without a bandit stage are left out).</summary>
public static class ExplorationByGroup
{
    public static readonly string[] Groups = ["established", "new"];

    /// <summary>
    /// Per group and slot kind: slots shown, slots clicked (a slot counts once however often its item
    /// was clicked) and the click-through with its Wilson score interval at <paramref name="confidence"/>
    /// (Wilson 1927: it stays inside [0, 1] and behaves at the click rates of a few percent where the
    /// normal interval does not). Rows for groups with no slot of a kind have no rate.
    /// </summary>
    public static IReadOnlyList<GroupClickThrough> Compute(IReadOnlyList<ServedOutcome> outcomes, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var z = Merx.Evaluation.Experiments.Distributions.NormalQuantile(0.5 + confidence / 2);
        var shown = new long[Groups.Length, 2]; var clicked = new long[Groups.Length, 2];
        foreach (var o in outcomes)
        {
            var g = Array.IndexOf(Groups, o.Served.UserGroup);
            if (g < 0) continue;
            var items = o.Served.Items;
            for (var j = 0; j < items.Count; j++)
            {
                var kind = o.Served.Explored[j] ? 0 : 1;
                shown[g, kind]++;
                if (o.ClickedAt(j)) clicked[g, kind]++;
            }
        }
        var rows = new List<GroupClickThrough>();
        for (var g = 0; g < Groups.Length; g++)
            for (var kind = 0; kind < 2; kind++)
            {
                var (n, x) = (shown[g, kind], clicked[g, kind]);
                var (ctr, lo, hi) = n == 0 ? (null, null, null) : Wilson(x, n, z);
                rows.Add(new GroupClickThrough(Groups[g], kind == 0 ? "explored" : "exploited", n, x, ctr, lo, hi));
            }
        return rows;
    }

    /// <summary>The Wilson score interval of x successes in n trials: (p̂ + z²/2n ± z√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n).</summary>
    public static (double? Ctr, double? Lo, double? Hi) Wilson(long x, long n, double z)
    {
        double p = (double)x / n, z2 = z * z;
        var centre = (p + z2 / (2.0 * n)) / (1 + z2 / n);
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return (p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
