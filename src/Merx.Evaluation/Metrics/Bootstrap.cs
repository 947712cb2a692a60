namespace Merx.Evaluation.Metrics;

/// <summary>
/// Seeded percentile bootstrap over users: each resample draws as many users as there are, with
/// replacement, and recomputes the mean; the interval is the 2.5th–97.5th percentile of those
/// means. Per-user NaN values (metric undefined for that user) are left out of every mean.
/// </summary>
public static class Bootstrap
{
    public static double Mean(double[] values)
    {
        double s = 0; var c = 0;
        foreach (var v in values) if (!double.IsNaN(v)) { s += v; c++; }
        return c == 0 ? double.NaN : s / c;
    }

    /// <summary>Intervals for several per-user metrics sharing the same resampled users.</summary>
    public static IEnumerable<(string Name, Interval Ci)> MeanIntervals(IReadOnlyList<string> names, double[][] values, int resamples, int seed)
    {
        if (resamples <= 0 || values.Length == 0 || values[0].Length == 0) yield break;
        var n = values[0].Length; var m = values.Length;
        var means = new double[m][];
        for (var j = 0; j < m; j++) means[j] = new double[resamples];
        Parallel.For(0, resamples, b =>
        {
            var rng = new Random(Mix(seed, b, 0));
            var sum = new double[m]; var count = new int[m];
            for (var t = 0; t < n; t++)
            {
                var i = rng.Next(n);
                for (var j = 0; j < m; j++)
                {
                    var v = values[j][i];
                    if (!double.IsNaN(v)) { sum[j] += v; count[j]++; }
                }
            }
            for (var j = 0; j < m; j++) means[j][b] = count[j] == 0 ? double.NaN : sum[j] / count[j];
        });
        for (var j = 0; j < m; j++) yield return (names[j], Percentiles(means[j]));
    }

    /// <summary>
    /// Catalog coverage@k (distinct items in all top-k lists / catalog size) and its bootstrap
    /// interval. Coverage is not a mean: a resample with repeated users covers fewer items, so the
    /// percentile interval is shifted by the bootstrap bias (value − mean of resampled values).
    /// </summary>
    public static (double Value, Interval Ci) Coverage(int[][] tops, int k, int itemCount, int resamples, int seed)
    {
        double Cover(Func<int, int> pick, int[] stamp, int mark)
        {
            var distinct = 0;
            for (var t = 0; t < tops.Length; t++)
            {
                var list = tops[pick(t)];
                for (var r = 0; r < Math.Min(k, list.Length); r++)
                    if (stamp[list[r]] != mark) { stamp[list[r]] = mark; distinct++; }
            }
            return itemCount == 0 ? 0 : distinct / (double)itemCount;
        }
        var value = Cover(t => t, new int[itemCount], 1);
        if (resamples <= 0 || tops.Length == 0) return (value, new Interval(value, value));
        var covers = new double[resamples];
        Parallel.For(0, resamples, () => new int[itemCount], (b, _, stamp) =>
        {
            var rng = new Random(Mix(seed, b, k));
            covers[b] = Cover(_ => rng.Next(tops.Length), stamp, b + 1);
            return stamp;
        }, _ => { });
        var shift = value - covers.Average();
        var ci = Percentiles(covers);
        return (value, new Interval(ci.Lo + shift, ci.Hi + shift));
    }

    /// <summary>A deterministic seed from three integers (HashCode.Combine is randomised per process).</summary>
    public static int Mix(int a, int b, int c)
    {
        unchecked
        {
            var h = (uint)a * 0x9E3779B1u;
            h = (h ^ (uint)b) * 0x85EBCA77u;
            h = (h ^ (uint)c) * 0xC2B2AE3Du;
            return (int)(h ^ (h >> 16));
        }
    }

    private static Interval Percentiles(double[] means)
    {
        var sorted = means.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return new Interval(double.NaN, double.NaN);
        double At(double q) => sorted[Math.Clamp((int)Math.Floor(q * (sorted.Length - 1) + 0.5), 0, sorted.Length - 1)];
        return new Interval(At(0.025), At(0.975));
    }
}
