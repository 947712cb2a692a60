namespace Merx.Core.Contracts;

/// <summary>Top-k selection over a score vector with a size-k min-heap: O(n log k), no full sort.</summary>
public static class TopK
{
    /// <summary>
    /// The indices of the k largest finite scores, best first; ties go to the lower index.
    /// −∞ and NaN scores are never selected, so fewer than k may come back.
    /// </summary>
    public static ScoredItem[] Select(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Min(k, scores.Length);
        if (k == 0) return [];
        var heapItems = new int[k];
        var heapScores = new float[k];
        var size = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            if (!(s > float.NegativeInfinity)) continue; // skips −∞ and NaN
            if (size < k)
            {
                heapItems[size] = i; heapScores[size] = s; size++;
                SiftUp(heapItems, heapScores, size - 1);
            }
            else if (s > heapScores[0])
            {
                heapItems[0] = i; heapScores[0] = s;
                SiftDown(heapItems, heapScores, size);
            }
        }
        var result = new ScoredItem[size];
        for (var i = 0; i < size; i++) result[i] = new ScoredItem(heapItems[i], heapScores[i]);
        Array.Sort(result, static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        return result;
    }

    // Min-heap on (score, then larger index is "smaller") so that among equal scores the lower index survives.
    private static bool Less(int[] items, float[] scores, int a, int b) =>
        scores[a] < scores[b] || (scores[a] == scores[b] && items[a] > items[b]);

    private static void SiftUp(int[] items, float[] scores, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Less(items, scores, i, parent)) break;
            Swap(items, scores, i, parent);
            i = parent;
        }
    }

    private static void SiftDown(int[] items, float[] scores, int size)
    {
        var i = 0;
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && Less(items, scores, l, m)) m = l;
            if (r < size && Less(items, scores, r, m)) m = r;
            if (m == i) return;
            Swap(items, scores, i, m);
            i = m;
        }
    }

    private static void Swap(int[] items, float[] scores, int a, int b)
    {
        (items[a], items[b]) = (items[b], items[a]);
        (scores[a], scores[b]) = (scores[b], scores[a]);
    }
}
