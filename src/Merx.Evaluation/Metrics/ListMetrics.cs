using Merx.Core.Data;
using Merx.Ranking.Pipeline;

namespace Merx.Evaluation.Metrics;

/// <summary>
/// Beyond-accuracy metrics of one recommended list: diversity, novelty, popularity bias (mean
/// popularity percentile, and the share of the list from the head: the top 10 % of items by
/// training users) and miscalibration (Steck's KL between the category distributions of the
/// user's history and of the list, <see cref="Calibration"/>).
/// </summary>
public sealed class ListMetrics
{
    /// <summary>The head is this fraction of the catalog, the most popular items.</summary>
    public const double HeadFraction = 0.1;

    private readonly int[][]? _features;
    private readonly double[]? _selfInfo;
    private readonly double[]? _percentile;
    private readonly bool[]? _head;
    private readonly IReadOnlyList<int[]>? _categories;
    private readonly int _categoryCount;

    public ListMetrics(ItemFeatures? features, IReadOnlyList<int>? itemUserCounts, int trainingUsers, IReadOnlyList<int[]>? categories = null)
    {
        if (categories is not null)
        {
            _categories = categories;
            _categoryCount = categories.Count == 0 ? 0 : categories.Max(c => c.Length == 0 ? 0 : c.Max() + 1);
            if (_categoryCount == 0) _categories = null;
        }
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
            (_head, HeadTrainingShare) = Head(itemUserCounts);
        }
    }

    public bool HasDiversity => _features is not null;
    public bool HasPopularity => _selfInfo is not null;
    public bool HasCalibration => _categories is not null;

    /// <summary>The head items' share of training interactions (user–item pairs): what an unbiased list's <see cref="HeadShare"/> is compared with.</summary>
    public double HeadTrainingShare { get; }

    /// <summary>
    /// The head: the ⌈10 % · items⌉ items with the most training users (ties by lower item index), and
    /// their share of all training user–item pairs (0 when there are none).
    /// </summary>
    public static (bool[] Head, double TrainingShare) Head(IReadOnlyList<int> itemUserCounts)
    {
        var n = itemUserCounts.Count;
        var head = new bool[n];
        var size = (int)Math.Ceiling(HeadFraction * n);
        var order = Enumerable.Range(0, n).OrderByDescending(i => itemUserCounts[i]).ThenBy(i => i).Take(size);
        long inHead = 0, total = 0;
        foreach (var i in order) { head[i] = true; inHead += itemUserCounts[i]; }
        foreach (var c in itemUserCounts) total += c;
        return (head, total == 0 ? 0 : inHead / (double)total);
    }

    /// <summary>Fraction of the list's items that are head items.</summary>
    public double HeadShare(ReadOnlySpan<int> list)
    {
        if (list.Length == 0) return double.NaN;
        var h = 0;
        foreach (var i in list) if (_head![i]) h++;
        return h / (double)list.Length;
    }

    /// <summary>History's category distribution p (for <see cref="Miscalibration"/> and the calibrated re-ranker); null when no history item has a category.</summary>
    public double[]? HistoryDistribution(ReadOnlySpan<int> history)
    {
        var p = Calibration.Distribution(history, _categories!, _categoryCount);
        return p.Any(v => v > 0) ? p : null;
    }

    /// <summary>KL(p ‖ q̃) of the list against the history's distribution, in nats; NaN when the history has no category.</summary>
    public double Miscalibration(double[]? history, ReadOnlySpan<int> list) =>
        history is null ? double.NaN : Calibration.Kl(history, Calibration.Distribution(list, _categories!, _categoryCount));

    /// <summary>Per-item category ids the calibration metric uses (null when not measured).</summary>
    public IReadOnlyList<int[]>? Categories => _categories;

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
