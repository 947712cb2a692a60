using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Ranking.Retrieval;

/// <summary>
/// Approximate maximum-inner-product retrieval over item vectors (an inverted file): items are
/// clustered with k-means; a query scores the centroids and scans only the clusters whose
/// upper bound q·c + |q|·r (r = the cluster's radius) is highest, so the true best items of a
/// cluster can never be under-estimated by the ranking of clusters. Used for catalogs where a full
/// pass per request (n × d multiply-adds, memory-bound) would not fit the latency budget.
/// </summary>
public sealed class IvfIndex : IItemIndex
{
    private readonly int _d;
    private readonly float[] _centroids;  // (C, d)
    private readonly float[] _radius;     // (C) max distance of a member to its centroid
    private readonly int[] _offsets;      // (C+1) cluster c's members are _items[_offsets[c].._offsets[c+1]]
    private readonly int[] _items;        // (n) item ids grouped by cluster
    private readonly float[] _vectors;    // (n, d) item vectors in _items order (contiguous per cluster)
    private readonly int _largestCluster;

    private IvfIndex(int d, float[] centroids, float[] radius, int[] offsets, int[] items, float[] vectors)
    {
        _d = d; _centroids = centroids; _radius = radius; _offsets = offsets; _items = items; _vectors = vectors;
        for (var c = 0; c + 1 < offsets.Length; c++) _largestCluster = Math.Max(_largestCluster, offsets[c + 1] - offsets[c]);
    }

    public string Name => "ivf";
    public int Clusters => _radius.Length;
    /// <summary>Clusters scanned by <see cref="Search(ReadOnlySpan{float}, int, Func{int, bool}?)"/>.</summary>
    public int Probes { get; private init; } = 32;
    /// <summary>Its grouped float copy of the vectors and the item id of each row.</summary>
    public double BytesPerItem => _d * sizeof(float) + sizeof(int) + (double)_centroids.Length * sizeof(float) / Math.Max(1, Count);

    public ScoredItem[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? admissible = null) => Search(query, k, Probes, admissible);
    public int Count => _items.Length;

    /// <summary>Clusters for n items when none is given: about 2√n, at least 1.</summary>
    public static int DefaultClusters(int n) => Math.Max(1, (int)(2 * Math.Sqrt(n)));

    /// <summary>
    /// Builds the index with Lloyd's k-means (<see cref="KMeans"/>: random rows of a deterministic sample to start,
    /// <paramref name="iterations"/> rounds on at most <paramref name="trainSample"/> items, then every item assigned).
    /// </summary>
    /// <param name="vectors">(n, d) row-major item vectors.</param>
    /// <param name="probes">Clusters scanned by the search without a probes argument.</param>
    public static IvfIndex Build(ReadOnlySpan<float> vectors, int d, int clusters = 0, int iterations = 8, int trainSample = 50_000, int seed = 1, int probes = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        if (vectors.Length % d != 0) throw new ArgumentException("vectors must be (n, d)", nameof(vectors));
        var n = vectors.Length / d;
        var c = Math.Min(Math.Max(1, n), clusters > 0 ? clusters : DefaultClusters(n));
        var rng = new Random(seed);
        var sample = n <= trainSample ? Enumerable.Range(0, n).ToArray() : Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(trainSample).Order().ToArray();
        var x = new float[sample.Length * d];
        for (var s = 0; s < sample.Length; s++) vectors.Slice(sample[s] * d, d).CopyTo(x.AsSpan(s * d, d));

        var centroids = KMeans.Fit(x, d, c, iterations, rng);

        var all = new int[n];
        KMeans.Assign(vectors, centroids, d, c, all);
        var offsets = new int[c + 1];
        foreach (var a in all) offsets[a + 1]++;
        for (var k = 0; k < c; k++) offsets[k + 1] += offsets[k];
        var cursor = offsets[..^1].ToArray();
        var items = new int[n];
        var grouped = new float[n * d];
        var radius = new float[c];
        for (var i = 0; i < n; i++)
        {
            var k = all[i];
            var at = cursor[k]++;
            items[at] = i;
            vectors.Slice(i * d, d).CopyTo(grouped.AsSpan(at * d, d));
            radius[k] = MathF.Max(radius[k], TensorPrimitives.Distance(vectors.Slice(i * d, d), centroids.AsSpan(k * d, d)));
        }
        return new IvfIndex(d, centroids, radius, offsets, items, grouped) { Probes = probes };
    }

    /// <summary>
    /// The best <paramref name="k"/> admissible items by inner product with <paramref name="query"/>,
    /// scanning the <paramref name="probes"/> clusters with the highest upper bound (more probes: closer to exact).
    /// </summary>
    public ScoredItem[] Search(ReadOnlySpan<float> query, int k, int probes, Func<int, bool>? admissible = null)
    {
        if (query.Length != _d) throw new ArgumentException($"query must have {_d} entries", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var c = Clusters;
        var bound = new float[c];
        RowDots.Forward(_centroids, query, bound);
        var qn = TensorPrimitives.Norm(query);
        for (var j = 0; j < c; j++) bound[j] += qn * _radius[j];
        var order = TopK.Select(bound, Math.Min(c, Math.Max(1, probes)));
        var best = new TopKHeap(k);
        var scores = System.Buffers.ArrayPool<float>.Shared.Rent(_largestCluster);
        try
        {
            foreach (var o in order)
            {
                int start = _offsets[o.Item], count = _offsets[o.Item + 1] - start;
                RowDots.Forward(_vectors.AsSpan(start * _d, count * _d), query, scores.AsSpan(0, count));
                for (var t = 0; t < count; t++)
                {
                    // Admissibility (stock, filters, already seen) only for items that would enter the top k.
                    var item = _items[start + t];
                    if (best.Admits(item, scores[t]) && (admissible is null || admissible(item))) best.Offer(item, scores[t]);
                }
            }
        }
        finally { System.Buffers.ArrayPool<float>.Shared.Return(scores); }
        return best.ToSortedArray();
    }
}
