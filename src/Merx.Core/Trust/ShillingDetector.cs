using Merx.Core.Data;

namespace Merx.Core.Trust;

/// <summary>How <see cref="ShillingDetector"/> decides. The defaults are the ones measured in bench/results/trust-attacks.md.</summary>
public sealed record DetectorOptions
{
    /// <summary>Co-holders a coordinated pair needs; null: 0.5 % of the users with items, at least 5.</summary>
    public int? MinSupport { get; init; }
    public double MinLift { get; init; } = 20;
    public double MinConfidence { get; init; } = 0.7;
    /// <summary>A suspect holds at least this many items of coordinated pairs (3: more than one pair's worth).</summary>
    public int MinCoordinatedItems { get; init; } = 3;
    /// <summary>
    /// …and its profile is at least this far from the typical user's (robust z, the largest over the profile features):
    /// 3.5 is Iglewicz and Hoaglin's cut for the modified z-score.
    /// </summary>
    public double MinAnomaly { get; init; } = 3.5;
}

/// <summary>What the detector found: the users to quarantine from training, and every user's features and anomaly score.</summary>
public sealed record DetectionResult(IReadOnlySet<int> Suspects, ProfileFeatures[] Features, double[] Anomaly, int CoordinatedPairs, int MinSupport);

/// <summary>
/// Finds fake profiles from behaviour alone (it is never told who is fake). A suspect must show both kinds of
/// evidence: group evidence — it holds several items of coordinated pairs (<see cref="CoVisitation"/>), which a
/// push attack creates because its accounts share targets — and individual evidence — its profile is unusual
/// for this shop on at least one feature (length, popularity of what it holds, the spread of that over
/// popularity deciles, burstiness, account age; robust z-scores against the median user). Genuine users who
/// happen to hold a tight bundle of items (variants of one product, sequels) pass the first test and mostly fail
/// the second; a fake that mimics an average profile perfectly passes the second only through its account age.
/// </summary>
public static class ShillingDetector
{
    public static DetectionResult Detect(UserSequences data, DetectorOptions? options = null)
    {
        options ??= new DetectorOptions();
        var active = 0;
        for (var u = 0; u < data.UserCount; u++) if (data.LengthOf(u) > 0) active++;
        var support = options.MinSupport ?? Math.Max(5, (int)Math.Round(0.005 * active));
        var coordination = CoVisitation.Find(data, support, options.MinLift, options.MinConfidence);
        var features = ProfileFeatures.Compute(data, coordination);
        var anomaly = AnomalyScores(features);
        var suspects = new HashSet<int>();
        for (var u = 0; u < features.Length; u++)
            if (features[u].CoordinatedItems >= options.MinCoordinatedItems && anomaly[u] >= options.MinAnomaly) suspects.Add(u);
        return new DetectionResult(suspects, features, anomaly, coordination.Pairs, support);
    }

    /// <summary>
    /// Per user, the largest robust z-score over the profile features: two-sided for ln(length) and mean log
    /// popularity, one-sided for divergence and burstiness (high is odd) and ln(account age) (young is odd).
    /// </summary>
    public static double[] AnomalyScores(ProfileFeatures[] f)
    {
        var users = Enumerable.Range(0, f.Length).Where(u => f[u].Length > 0).ToArray();
        var columns = new (Func<ProfileFeatures, double> Get, int Side)[]
        {
            (p => Math.Log(p.Length), 0),
            (p => p.MeanLogPopularity, 0),
            (p => p.PopularityDivergence, 1),
            (p => p.Burstiness, 1),
            (p => Math.Log(1 + p.AccountAgeDays), -1),
        };
        var score = new double[f.Length];
        foreach (var (get, side) in columns)
        {
            var values = users.Select(u => get(f[u])).Where(double.IsFinite).ToArray();
            if (values.Length == 0) continue;
            var (median, scale) = Robust(values);
            if (scale <= 0) continue;
            foreach (var u in users)
            {
                var x = get(f[u]);
                if (!double.IsFinite(x)) continue;
                var z = (x - median) / scale;
                var s = side == 0 ? Math.Abs(z) : side * z;
                if (s > score[u]) score[u] = s;
            }
        }
        return score;
    }

    /// <summary>Median and 1.4826 × median absolute deviation (the normal-consistent scale).</summary>
    public static (double Median, double Scale) Robust(double[] values)
    {
        var sorted = values.Order().ToArray();
        var median = Median(sorted);
        var dev = sorted.Select(v => Math.Abs(v - median)).Order().ToArray();
        return (median, 1.4826 * Median(dev));
    }

    private static double Median(double[] sorted) =>
        sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}
