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
        var heap = new TopKHeap(Math.Min(k, scores.Length));
        for (var i = 0; i < scores.Length; i++) heap.Offer(i, scores[i]);
        return heap.ToSortedArray();
    }

    /// <summary>
    /// The <paramref name="k"/> rows of a vector table most similar to row <paramref name="item"/> by cosine,
    /// the row itself excluded, best first (ties: lower row first); a row of norm 0 scores 0, and a query row of norm 0 (an
    /// item the model knows nothing of) has no neighbours. The one similar-items pass
    /// over factor or embedding rows: scored block by block (<see cref="Merx.Numerics.VectorTable.Cosines"/>), nothing of size n allocated.
    /// </summary>
    public static ScoredItem[] CosineNeighbours(Merx.Numerics.VectorTable rows, int item, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var n = rows.Count;
        if ((uint)item >= (uint)n) return [];
        Span<float> own = stackalloc float[rows.Dimension];
        var query = rows.Row(item, own);
        if (!query.ContainsAnyExcept(0f)) return [];
        const int block = 2048;
        Span<float> scores = stackalloc float[block];
        var heap = new TopKHeap(Math.Min(k, n - 1));
        for (var r0 = 0; r0 < n; r0 += block)
        {
            var count = Math.Min(block, n - r0);
            rows.Cosines(query, scores[..count], r0);
            for (var r = 0; r < count; r++)
                if (r0 + r != item) heap.Offer(r0 + r, scores[r]);
        }
        return heap.ToSortedArray();
    }
}

/// <summary>
/// The k best (item, score) pairs seen so far, for streams where checking a candidate costs more
/// than scoring it: <see cref="Admits"/> says whether a score could enter before the check is
/// paid. Ties go to the lower item id; −∞ and NaN scores never enter.
/// </summary>
public sealed class TopKHeap
{
    private readonly int[] _items;
    private readonly float[] _scores;
    private int _size;

    /// <param name="k">How many to keep (0 keeps none).</param>
    public TopKHeap(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        _items = new int[k];
        _scores = new float[k];
    }

    public int Count => _size;

    /// <summary>How many it keeps (the k it was made with).</summary>
    public int Capacity => _items.Length;

    /// <summary>The kept items in no particular order (heap order), for a caller that re-scores them anyway.</summary>
    public ReadOnlySpan<int> UnorderedItems => _items.AsSpan(0, _size);

    /// <summary>The lowest kept score once k are kept (−∞ before; +∞ when k is 0): a lower score can never enter, so a scan may skip it unchecked.</summary>
    public float Floor => _items.Length == 0 ? float.PositiveInfinity : _size < _items.Length ? float.NegativeInfinity : _scores[0];

    /// <summary>True when (item, score) would be kept if offered now.</summary>
    public bool Admits(int item, float score)
    {
        if (!(score > float.NegativeInfinity) || _items.Length == 0) return false;
        if (_size < _items.Length) return true;
        return score > _scores[0] || (score == _scores[0] && item < _items[0]);
    }

    /// <summary>Keeps (item, score) if it is among the k best so far.</summary>
    public void Offer(int item, float score)
    {
        if (!Admits(item, score)) return;
        if (_size < _items.Length)
        {
            _items[_size] = item; _scores[_size] = score; _size++;
            SiftUp(_size - 1);
        }
        else
        {
            _items[0] = item; _scores[0] = score;
            SiftDown();
        }
    }

    /// <summary>The kept pairs, best first (ties: lower item first).</summary>
    public ScoredItem[] ToSortedArray()
    {
        var result = new ScoredItem[_size];
        for (var i = 0; i < _size; i++) result[i] = new ScoredItem(_items[i], _scores[i]);
        Array.Sort(result, static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        return result;
    }

    // Min-heap on (score, then larger item is "smaller") so that among equal scores the lower item survives.
    private bool Less(int a, int b) => _scores[a] < _scores[b] || (_scores[a] == _scores[b] && _items[a] > _items[b]);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Less(i, parent)) break;
            Swap(i, parent);
            i = parent;
        }
    }

    // The root's pair moves down into the hole its smaller child leaves, written once where it stops.
    private void SiftDown()
    {
        int item = _items[0], i = 0;
        var score = _scores[0];
        while (true)
        {
            var c = 2 * i + 1;
            if (c >= _size) break;
            if (c + 1 < _size && Less(c + 1, c)) c++;
            // Stop when the moving pair is not above the smaller child (min-heap on score, then the larger item).
            if (!(_scores[c] < score || (_scores[c] == score && _items[c] > item))) break;
            _items[i] = _items[c]; _scores[i] = _scores[c];
            i = c;
        }
        _items[i] = item; _scores[i] = score;
    }

    private void Swap(int a, int b)
    {
        (_items[a], _items[b]) = (_items[b], _items[a]);
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
    }
}
