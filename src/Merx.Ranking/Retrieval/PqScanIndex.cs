using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Ranking.Retrieval;

/// <summary>
/// Product quantization (Jégou, Douze and Schmid, 2011): the d coordinates are cut into <see cref="Subspaces"/> runs, each
/// run's vectors are clustered into 256 centroids (k-means on a sample), and an item is stored as one byte a run, its
/// nearest centroid's number. A query is scored against every item by table lookups: for each run, its inner product
/// with each of the 256 centroids once (the asymmetric distance: the query is not quantized), then per item the sum of
/// its runs' entries. The best <see cref="Candidates"/>(k) are re-ranked with the model's own rows. Measured beside the
/// int8 scan and the graphs by <c>merx index-bench --indexes pq-scan</c> (bench/results/index.md, "Product quantization").
/// </summary>
public sealed class PqScanIndex : IItemIndex
{
    private const int Centroids = 256;
    private readonly int _d, _sub;
    private readonly float[] _books;   // (subspaces, sub, 256): a run's centroids coordinate by coordinate, so one coordinate of all 256 is contiguous
    private readonly byte[] _codes;    // (n, subspaces)
    private readonly VectorTable _rows;

    private PqScanIndex(int d, int subspaces, float[] books, byte[] codes, VectorTable rows, int candidateFactor, int minCandidates)
    {
        _d = d; Subspaces = subspaces; _sub = d / subspaces; _books = books; _codes = codes; _rows = rows;
        CandidateFactor = candidateFactor; MinCandidates = minCandidates;
    }

    public string Name => "pq-scan";
    public int Count => _rows.Count;
    /// <summary>Bytes a run of coordinates takes: one an item.</summary>
    public int Subspaces { get; }
    public double BytesPerItem => Subspaces + (double)_books.Length * sizeof(float) / Math.Max(1, Count);
    /// <summary>Candidates re-ranked exactly: max(<see cref="MinCandidates"/>, k × this).</summary>
    public int CandidateFactor { get; }
    public int MinCandidates { get; }
    public int Candidates(int k) => Math.Max(MinCandidates, k * CandidateFactor);

    /// <param name="subspaces">Runs of coordinates, one byte an item each; d must be a multiple (0: d / 4).</param>
    /// <param name="iterations">k-means rounds per run.</param>
    /// <param name="sample">Rows the centroids are fitted on (spread evenly over the table).</param>
    public static PqScanIndex Build(VectorTable rows, int subspaces = 0, int candidateFactor = 4, int minCandidates = 100, int iterations = 10, int sample = 65_536,
        int seed = 42, IProgress<string>? progress = null)
    {
        var (n, d) = (rows.Count, rows.Dimension);
        if (subspaces == 0) subspaces = Math.Max(1, d / 4);
        if (subspaces < 1 || d % subspaces != 0) throw new ArgumentException($"subspaces must divide d = {d}", nameof(subspaces));
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateFactor, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sample, 1);
        var sub = d / subspaces;
        var take = Math.Min(n, sample);
        var train = new float[take * d];
        for (var t = 0; t < take; t++) rows.Row((int)((long)t * n / take), train.AsSpan(t * d, d)).CopyTo(train.AsSpan(t * d, d));
        if (TensorPrimitives.MaxMagnitude<float>(train) is var m && !float.IsFinite(m)) throw new ArgumentException("the vectors hold a non-finite value");
        var books = new float[subspaces * sub * Centroids];
        var codes = new byte[(long)n * subspaces];
        var rng = new Random(seed);
        var run = new float[take * sub];
        var column = new float[(long)n * sub];
        var assign = new int[n];
        var row = new float[d];
        for (var s = 0; s < subspaces; s++)
        {
            for (var t = 0; t < take; t++) train.AsSpan(t * d + s * sub, sub).CopyTo(run.AsSpan(t * sub, sub));
            var centroids = KMeans.Fit(run, sub, Centroids, iterations, rng);   // (256, sub)
            var book = books.AsSpan(s * sub * Centroids, sub * Centroids);      // (sub, 256): a coordinate of all 256 contiguous
            for (var c = 0; c < Centroids; c++)
                for (var j = 0; j < sub; j++) book[j * Centroids + c] = centroids[c * sub + j];
            for (var i = 0; i < n; i++) rows.Row(i, row).Slice(s * sub, sub).CopyTo(column.AsSpan(i * sub, sub));
            KMeans.Assign(column, centroids, sub, Centroids, assign);
            for (var i = 0; i < n; i++) codes[(long)i * subspaces + s] = (byte)assign[i];
            progress?.Report($"pq: run {s + 1}/{subspaces} fitted on {take:N0} rows, {n:N0} items coded");
        }
        return new PqScanIndex(d, subspaces, books, codes, rows, candidateFactor, minCandidates);
    }

    public ScoredItem[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? admissible = null)
    {
        if (query.Length != _d) throw new ArgumentException($"query must have {_d} entries", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var m = Subspaces;
        // The table: each run's inner product with each of its centroids.
        var table = new float[m * Centroids];
        for (var s = 0; s < m; s++)
        {
            var t = table.AsSpan(s * Centroids, Centroids);
            for (var j = 0; j < _sub; j++) TensorPrimitives.MultiplyAdd(_books.AsSpan((s * _sub + j) * Centroids, Centroids), query[s * _sub + j], t, t);
        }
        var pool = new TopKHeap(Math.Min(Count, Candidates(k)));
        ref var t0 = ref MemoryMarshal.GetArrayDataReference(table);
        ref var c0 = ref MemoryMarshal.GetArrayDataReference(_codes);
        var floor = pool.Floor;
        for (var i = 0; i < Count; i++)
        {
            ref var code = ref Unsafe.Add(ref c0, (nint)i * m);
            var score = 0f;
            for (var s = 0; s < m; s++) score += Unsafe.Add(ref t0, s * Centroids + Unsafe.Add(ref code, s));
            if (score < floor) continue;
            // Admissibility (stock, filters, already seen) only for items that would enter the candidates.
            if (pool.Admits(i, score) && (admissible is null || admissible(i))) { pool.Offer(i, score); floor = pool.Floor; }
        }
        return ExactRerank.Top(pool.ToSortedArray(), query, k, _rows.Dot);
    }
}
