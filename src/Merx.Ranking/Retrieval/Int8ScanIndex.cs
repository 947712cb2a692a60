using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Ranking.Retrieval;

/// <summary>
/// A full scan over int8 item vectors (one scale per row, <see cref="Int8Rows"/>) followed by an exact
/// float re-rank of the best <see cref="Candidates"/>(k) approximate scores. The scan reads d + 4 bytes an
/// item instead of 4d, and int8 · int8 products in int32 lanes do four times the work of float lanes per
/// instruction; the re-rank restores the exact order and scores. Recall is below 1 only when a true top-k
/// item falls out of the candidate list through quantization error.
/// </summary>
public sealed class Int8ScanIndex : IItemIndex
{
    private const int Block = 4096;
    private readonly int _d;
    private readonly ReadOnlyMemory<sbyte> _q;       // (n, d)
    private readonly ReadOnlyMemory<float> _scale;   // (n)
    private readonly VectorTable _rows;

    private Int8ScanIndex(int d, ReadOnlyMemory<sbyte> q, ReadOnlyMemory<float> scale, VectorTable rows, int candidateFactor, int minCandidates)
    {
        _d = d; _q = q; _scale = scale; _rows = rows; CandidateFactor = candidateFactor; MinCandidates = minCandidates;
    }

    public string Name => "int8-scan";
    public int Count => _scale.Length;
    public double BytesPerItem => _d + sizeof(float);
    /// <summary>Candidates re-ranked exactly: max(<see cref="MinCandidates"/>, k × this).</summary>
    public int CandidateFactor { get; }
    public int MinCandidates { get; }
    public int Candidates(int k) => Math.Max(MinCandidates, k * CandidateFactor);

    /// <summary>
    /// Quantizes the model's float item rows (kept for the re-rank), or scans an int8 table's own rows, copying nothing
    /// (the re-rank then scores with the same rows, dequantized).
    /// </summary>
    public static Int8ScanIndex Build(VectorTable rows, int candidateFactor = 4, int minCandidates = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateFactor, 1);
        var scanned = rows.IsInt8 ? rows : VectorTable.Quantize(rows.Floats, rows.Dimension);
        return new Int8ScanIndex(rows.Dimension, scanned.Quantized, scanned.Scales, rows, candidateFactor, minCandidates);
    }

    public ScoredItem[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? admissible = null)
    {
        if (query.Length != _d) throw new ArgumentException($"query must have {_d} entries", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var n = Count;
        Span<sbyte> uq = stackalloc sbyte[_d];
        // The query's scale is a common positive factor of every approximate score: it does not change their order.
        Int8Rows.QuantizeRow(query, uq);
        var pool = new TopKHeap(Math.Min(n, Candidates(k)));
        Scan(_q.Span, _scale.Span, uq, [], pool, admissible);
        return ExactRerank.Top(pool.ToSortedArray(), query, k, _rows.Dot);
    }

    /// <summary>
    /// The int8 scan: offers each row's approximate score (scale · q·uq) to <paramref name="pool"/> under its key
    /// (<paramref name="keys"/>[row], or the row itself when empty), checking <paramref name="accept"/> only for rows the pool would keep;
    /// rows scoring below <paramref name="start"/> are not offered. With <paramref name="tailNorms"/> (for each row, the largest
    /// scale · |q row| from it to the end: <see cref="TailNorms"/>) the scan stops, every 512 rows, once the rows left cannot reach
    /// what the pool keeps: by Cauchy–Schwarz a row's score is at most scale · |q row| · |uq|. The pool is the full scan's.
    /// </summary>
    /// <remarks>
    /// An empty pool much smaller than the rows starts from a floor estimated on a sample (<see cref="SampledFloor"/>): the
    /// rows above it are offered first, and only if too few of them were admissible to fill the pool are the rows below it
    /// offered too. A full pool's floor is at least that estimate, so nothing under it could have entered: the pool is the
    /// same as one pass's (its order is total, ties to the lower item), with a fraction of the offers and checks: a pool
    /// filled from −∞ takes about k (1 + ln(n / k)) offers, from the estimate about 2k.
    /// </remarks>
    internal static void Scan(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scale, ReadOnlySpan<sbyte> uq, ReadOnlySpan<int> keys, TopKHeap pool, Func<int, bool>? accept, float start = float.NegativeInfinity,
        ReadOnlySpan<float> tailNorms = default)
    {
        var hint = pool.Count == 0 ? SampledFloor(q, scale, uq, pool.Capacity) : float.NegativeInfinity;
        if (!(hint > start))
        {
            Pass(q, scale, uq, keys, pool, accept, start, float.PositiveInfinity, tailNorms);
            return;
        }
        Pass(q, scale, uq, keys, pool, accept, hint, float.PositiveInfinity, tailNorms);
        if (pool.Count < pool.Capacity) Pass(q, scale, uq, keys, pool, accept, start, hint, tailNorms);
    }

    // Offers the rows scoring in [start, below).
    private static void Pass(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scale, ReadOnlySpan<sbyte> uq, ReadOnlySpan<int> keys, TopKHeap pool, Func<int, bool>? accept, float start, float below,
        ReadOnlySpan<float> tailNorms)
    {
        var n = scale.Length;
        var block = tailNorms.IsEmpty ? Block : 512;
        var queryNorm = tailNorms.IsEmpty ? 0f : NormUp(uq);
        var dots = ArrayPool<int>.Shared.Rent(block);
        var scores = ArrayPool<float>.Shared.Rent(block);
        var floor = MathF.Max(pool.Floor, start);
        try
        {
            for (var r0 = 0; r0 < n; r0 += block)
            {
                if (!tailNorms.IsEmpty && floor > tailNorms[r0] * queryNorm) return;
                var rows = Math.Min(block, n - r0);
                var s = scores.AsSpan(0, rows);
                BlockScores(q, scale, uq, r0, dots.AsSpan(0, rows), s);
                for (var r = 0; r < rows; r++)
                {
                    // Most rows lie below every kept score: eight at a time are passed over with one comparison.
                    if ((r & 7) == 0 && r + 8 <= rows && !Vector256.GreaterThanOrEqualAny(Vector256.Create<float>(s.Slice(r, 8)), Vector256.Create(floor))) { r += 7; continue; }
                    if (s[r] < floor || s[r] >= below) continue;
                    var item = keys.IsEmpty ? r0 + r : keys[r0 + r];
                    // Admissibility (stock, filters, already seen) only for items that would enter the candidates.
                    if (pool.Admits(item, s[r]) && (accept is null || accept(item))) { pool.Offer(item, s[r]); floor = MathF.Max(pool.Floor, start); }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(dots);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    // The approximate scores of rows [r0, r0 + s.Length).
    private static void BlockScores(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scale, ReadOnlySpan<sbyte> uq, int r0, Span<int> dots, Span<float> s)
    {
        var d = uq.Length;
        Int8Rows.Dots(q.Slice(r0 * d, s.Length * d), uq, dots);
        TensorPrimitives.ConvertTruncating<int, float>(dots, s);   // exact: |dot| ≤ 127² · 512 < 2²⁴
        TensorPrimitives.Multiply(s, scale.Slice(r0, s.Length), s);
    }

    /// <summary>
    /// An estimate of where a pool of <paramref name="k"/> over these rows ends: the 8th best score of runs of 8 rows spread
    /// evenly, about 8 n / (2k + 32) rows in all, so that about 2k + 32 rows score above it. −∞ when the sample would
    /// be more than a sixteenth of the rows (a small pool over few rows takes few offers anyway).
    /// </summary>
    internal static float SampledFloor(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scale, ReadOnlySpan<sbyte> uq, int k)
    {
        const int Run = 8, Rank = 8;
        var n = scale.Length;
        var runs = (int)Math.Ceiling(Rank * (double)n / (2 * k + 32) / Run);
        if (k == 0 || runs * Run * 16 > n) return float.NegativeInfinity;
        var stride = n / runs;
        Span<int> dots = stackalloc int[Run];
        Span<float> s = stackalloc float[Run];
        var best = new TopKHeap(Rank);
        for (var run = 0; run < runs; run++)
        {
            var r0 = run * stride;
            BlockScores(q, scale, uq, r0, dots, s);
            for (var r = 0; r < Run; r++) best.Offer(r0 + r, s[r]);
        }
        return best.Count < Rank ? float.NegativeInfinity : best.Floor;
    }

    // |v| rounded up a little, so a bound made of such norms never falls below a score through float rounding.
    private static float NormUp(ReadOnlySpan<sbyte> v)
    {
        long sum = 0;
        foreach (var x in v) sum += x * x;
        return MathF.Sqrt(sum) * (1 + 1e-5f);
    }

    /// <summary>
    /// For each row of (n, d) int8 rows <paramref name="q"/>, the largest scale · |q row| from it to the end (rounded up a
    /// little): the bound <see cref="Scan"/> stops on. Rows ordered by falling norm make it fall fast.
    /// </summary>
    internal static float[] TailNorms(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scale)
    {
        var n = scale.Length;
        var d = n == 0 ? 0 : q.Length / n;
        var tail = new float[n];
        var max = 0f;
        for (var r = n - 1; r >= 0; r--)
        {
            max = MathF.Max(max, scale[r] * NormUp(q.Slice(r * d, d)));
            tail[r] = max;
        }
        return tail;
    }
}
