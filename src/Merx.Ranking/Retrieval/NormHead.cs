using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Ranking.Retrieval;

/// <summary>
/// The items of largest norm, kept in int8 (<see cref="Int8Rows"/>) and scanned in full on every search of an
/// <see cref="HnswIndex"/>. An inner product is at most |q|·|x|, and a Transformer trained with a softmax gives
/// the items it saw often the largest norms: on the served 1M- and 10M-item models the exact top-10 of every
/// measured query lay among the few thousand items of largest norm (bench/results/index.md), the very items an
/// inner-product graph reaches worst. The head also knows the largest norm of any item outside it
/// (<see cref="OutsideNorm"/>), so a search can tell when the head's own best are the catalog's: when the head's k-th
/// best score reaches |q| times that norm, no other item can beat it. Not thread-safe on its own: the index's lock
/// guards it.
/// </summary>
internal sealed class NormHead
{
    private readonly int _d;
    private readonly int[] _keys;         // (h) items, largest norm first
    private readonly sbyte[] _q;          // (h, d)
    private readonly float[] _scale;      // (h)
    private readonly float[] _rows;       // (h, d): the float rows, together, for the exact scores (the model's table is read at random)
    private float[] _tail;                // (h): the scan's stopping bounds (Int8ScanIndex.TailNorms)
    private readonly Dictionary<int, int> _rowOf;
    private readonly HashSet<int> _gone = [];

    private readonly float _leastNorm;   // the smallest norm in the head (+∞ when empty)

    private NormHead(int d, int[] keys, sbyte[] q, float[] scale, float[] rows, float outsideNorm, float leastNorm)
    {
        _d = d; _keys = keys; _q = q; _scale = scale; _rows = rows; OutsideNorm = outsideNorm; _leastNorm = leastNorm;
        _tail = Int8ScanIndex.TailNorms(q, scale);
        _rowOf = new Dictionary<int, int>(keys.Length);
        for (var r = 0; r < keys.Length; r++) _rowOf[keys[r]] = r;
    }

    public int Count => _keys.Length;
    public double Bytes => _keys.Length * (_d + 2 * sizeof(float) + sizeof(int) + _d * sizeof(float));

    /// <summary>
    /// At least the largest norm of any item outside the head (−1: none is), items added later included; a removal
    /// leaves it as it is, which only makes it safe.
    /// </summary>
    public float OutsideNorm { get; private set; }

    /// <summary>
    /// The <paramref name="size"/> rows of largest norm of <paramref name="x"/> (ties: lower item), quantized, and the
    /// largest norm of all (0 when every row is zero); a non-finite value is refused.
    /// </summary>
    public static NormHead Of(VectorTable x, int size, out float largestNorm)
    {
        var (n, d) = (x.Count, x.Dimension);
        size = Math.Clamp(size, 0, n);
        // One more than the head: the first row left out gives the largest norm outside it.
        var largest = new TopKHeap(Math.Min(size + 1, n));
        largestNorm = 0;
        for (var i = 0; i < n; i++)
        {
            var norm = x.Norm(i);
            if (!float.IsFinite(norm)) throw new ArgumentException("the vectors hold a non-finite value");
            largestNorm = MathF.Max(largestNorm, norm);
            largest.Offer(i, norm);
        }
        var ranked = largest.ToSortedArray();
        var outside = ranked.Length > size ? ranked[size].Score : -1f;
        var keys = Array.ConvertAll(ranked[..size], s => s.Item);
        var q = new sbyte[keys.Length * d];
        var scale = new float[keys.Length];
        var rows = new float[keys.Length * d];
        for (var r = 0; r < keys.Length; r++)
        {
            x.Row(keys[r], rows.AsSpan(r * d, d)).CopyTo(rows.AsSpan(r * d, d));
            scale[r] = Int8Rows.QuantizeRow(rows.AsSpan(r * d, d), q.AsSpan(r * d, d));
        }
        return new NormHead(d, keys, q, scale, rows, outside, size > 0 ? ranked[size - 1].Score : float.PositiveInfinity);
    }

    /// <summary>
    /// Offers the approximate scores of the head's items (removed ones skipped) from <paramref name="floor"/> up to <paramref name="pool"/>,
    /// largest norm first, stopping where the items left cannot reach the pool (the same pool as a full scan).
    /// </summary>
    public void Scan(ReadOnlySpan<sbyte> query, TopKHeap pool, Func<int, bool>? admissible, float floor = float.NegativeInfinity)
    {
        if (_keys.Length == 0) return;
        Func<int, bool>? accept = _gone.Count == 0 ? admissible : item => !_gone.Contains(item) && (admissible is null || admissible(item));
        Int8ScanIndex.Scan(_q, _scale, query, _keys, pool, accept, floor, _tail);
    }

    /// <summary>The exact score of a head item (one the scan offered).</summary>
    public float Dot(int item, ReadOnlySpan<float> query) => TensorPrimitives.Dot(_rows.AsSpan(_rowOf[item] * _d, _d), query);

    /// <summary>
    /// An item's new vector: a head item's row is replaced; an item outside the head is left to the graph, its norm noted.
    /// True when that item's norm reaches the head's smallest: the head's record of what it misses no longer holds.
    /// </summary>
    public bool Replace(int item, ReadOnlySpan<float> vector)
    {
        if (!_rowOf.TryGetValue(item, out var r))
        {
            var norm = TensorPrimitives.Norm(vector);
            OutsideNorm = MathF.Max(OutsideNorm, norm);
            return norm >= _leastNorm;
        }
        vector.CopyTo(_rows.AsSpan(r * _d, _d));
        _scale[r] = Int8Rows.QuantizeRow(vector, _q.AsSpan(r * _d, _d));
        _tail = Int8ScanIndex.TailNorms(_q, _scale);
        _gone.Remove(item);
        return false;
    }

    public void Remove(int item)
    {
        if (_rowOf.ContainsKey(item)) _gone.Add(item);
    }
}
