using Merx.Core.Data;

namespace Merx.Evaluation.Metrics;

/// <summary>Beyond-accuracy metrics of one recommended list: diversity, novelty, popularity bias.</summary>
public sealed class ListMetrics
{
    private readonly int[][]? _features;
    private readonly double[]? _selfInfo;
    private readonly double[]? _percentile;

    public ListMetrics(ItemFeatures? features, IReadOnlyList<int>? itemUserCounts, int trainingUsers)
    {
        if (features is not null)
        {
            _features = new int[features.ItemCount][];
            for (var i = 0; i < features.ItemCount; i++) { _features[i] = features.Of(i).ToArray(); Array.Sort(_features[i]); }
        }
        if (itemUserCounts is not null)
        {
            var n = itemUserCounts.Count;
            _selfInfo = new double[n];
            for (var i = 0; i < n; i++) _selfInfo[i] = -Math.Log2((itemUserCounts[i] + 1.0) / (trainingUsers + 1.0));
            var sorted = itemUserCounts.Order().ToArray();
            _percentile = new double[n];
            for (var i = 0; i < n; i++)
            {
                var below = LowerBound(sorted, itemUserCounts[i]);
                var equal = LowerBound(sorted, itemUserCounts[i] + 1) - below;
                _percentile[i] = (below + 0.5 * equal) / n;
            }
        }
    }

    public bool HasDiversity => _features is not null;
    public bool HasPopularity => _selfInfo is not null;

    /// <summary>1 − mean pairwise Jaccard similarity of the items' feature sets; NaN when no pair has features.</summary>
    public double Diversity(ReadOnlySpan<int> list)
    {
        double sum = 0; var pairs = 0;
        for (var a = 0; a < list.Length; a++)
            for (var b = a + 1; b < list.Length; b++)
            {
                var fa = _features![list[a]]; var fb = _features[list[b]];
                if (fa.Length == 0 && fb.Length == 0) continue;
                sum += Jaccard(fa, fb); pairs++;
            }
        return pairs == 0 ? double.NaN : 1 - sum / pairs;
    }

    /// <summary>Mean self-information −log2((users of item + 1)/(training users + 1)) in bits.</summary>
    public double Novelty(ReadOnlySpan<int> list) => Mean(list, _selfInfo!);

    /// <summary>Mean popularity percentile (0 = least, 1 = most popular item) of the list.</summary>
    public double PopularityBias(ReadOnlySpan<int> list) => Mean(list, _percentile!);

    private static double Mean(ReadOnlySpan<int> list, double[] values)
    {
        if (list.Length == 0) return double.NaN;
        double s = 0;
        foreach (var i in list) s += values[i];
        return s / list.Length;
    }

    public static double Jaccard(int[] a, int[] b)
    {
        int i = 0, j = 0, inter = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { inter++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        var union = a.Length + b.Length - inter;
        return union == 0 ? 1 : inter / (double)union;
    }

    private static int LowerBound(int[] sorted, int value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) >> 1; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
