using System.Diagnostics;
using System.Text.Json.Serialization;
using Merx.Core.Contracts;
using Merx.Numerics;
using Merx.Ranking.Retrieval;

namespace Merx.Evaluation.Retrieval;

/// <summary>One index measured against the exact scan on the same vectors and queries.</summary>
public sealed record IndexBenchResult(
    [property: JsonPropertyName("index")] string Index,
    [property: JsonPropertyName("items")] int Items,
    [property: JsonPropertyName("dim")] int Dim,
    [property: JsonPropertyName("queries")] int Queries,
    [property: JsonPropertyName("recall@10")] double RecallAt10,
    [property: JsonPropertyName("recall@100")] double RecallAt100,
    [property: JsonPropertyName("qps")] double Qps,
    [property: JsonPropertyName("exact_qps")] double ExactQps,
    [property: JsonPropertyName("build_seconds")] double BuildSeconds,
    [property: JsonPropertyName("bytes_per_item")] double BytesPerItem,
    [property: JsonPropertyName("settings")] string Settings)
{
    /// <summary>
    /// recall@10 with ties counted: the share of the index's top 10 whose exact score reaches the exact 10th best
    /// score. Equal to <see cref="RecallAt10"/> without ties; above it when items share their vector (a trained
    /// model's untrained items are their features alone), where the ids of an equal-scoring top 10 are arbitrary.
    /// </summary>
    [JsonPropertyName("recall@10_ties")] public double RecallAt10Ties { get; init; }
    /// <summary>recall@100 with ties counted (<see cref="RecallAt10Ties"/>).</summary>
    [JsonPropertyName("recall@100_ties")] public double RecallAt100Ties { get; init; }
}

/// <summary>
/// Recall and speed of item indexes against the exact scan (the reference: every item scored with the
/// float kernel, <see cref="RowDots"/>): recall@k = |index top k ∩ exact top k| / k averaged over queries;
/// queries/s of top-10 searches on one thread, the exact scan timed on the same queries in the same run.
/// </summary>
public static class IndexBench
{
    /// <summary>An index to measure: a name for the report, how to build it over (n, d) vectors, its settings in words.</summary>
    public sealed record Candidate(string Settings, Func<FloatRows, int, IItemIndex> Build);

    /// <param name="vectors">(n, d) item vectors.</param>
    /// <param name="queries">(q, d) query vectors.</param>
    public static IReadOnlyList<IndexBenchResult> Run(float[] vectors, float[] queries, int d, IEnumerable<Candidate> candidates, IProgress<string>? progress = null)
    {
        var n = vectors.Length / d;
        var q = queries.Length / d;
        progress?.Report($"exact scan: top 100 of {n:N0} items for {q:N0} queries");
        var clock = Stopwatch.StartNew();
        var truth = new int[q][];
        for (var i = 0; i < q; i++) truth[i] = Exact(vectors, queries.AsSpan(i * d, d), 100);
        // The exact k-th best score of each query, for recall with ties counted.
        float Dot(int i, int item) => System.Numerics.Tensors.TensorPrimitives.Dot<float>(queries.AsSpan(i * d, d), vectors.AsSpan(item * d, d));
        float Kth(int i, int k) => truth[i].Length == 0 ? float.NegativeInfinity : Dot(i, truth[i][Math.Min(k, truth[i].Length) - 1]);
        var exactQps = q / clock.Elapsed.TotalSeconds;
        progress?.Report($"exact scan: {exactQps:F1} queries/s");

        var results = new List<IndexBenchResult>();
        foreach (var candidate in candidates)
        {
            clock.Restart();
            var index = candidate.Build(() => vectors, d);
            var build = clock.Elapsed.TotalSeconds;
            progress?.Report($"{index.Name}: built in {build:F1} s");
            double hits10 = 0, hits100 = 0, ties10 = 0, ties100 = 0;
            var found = new ScoredItem[q][];
            clock.Restart();
            for (var i = 0; i < q; i++) found[i] = index.Search(queries.AsSpan(i * d, d), 10);
            var qps = q / clock.Elapsed.TotalSeconds;
            for (var i = 0; i < q; i++)
            {
                hits10 += Overlap(found[i], truth[i], 10);
                ties10 += Reaching(found[i], 10, Kth(i, 10), item => Dot(i, item));
                var wide = index.Search(queries.AsSpan(i * d, d), 100);
                hits100 += Overlap(wide, truth[i], 100);
                ties100 += Reaching(wide, 100, Kth(i, 100), item => Dot(i, item));
            }
            var result = new IndexBenchResult(index.Name, n, d, q, hits10 / (10.0 * q), hits100 / (100.0 * q), qps, exactQps, build, index.BytesPerItem, candidate.Settings)
            {
                RecallAt10Ties = ties10 / (10.0 * q), RecallAt100Ties = ties100 / (100.0 * q),
            };
            progress?.Report($"{index.Name}: recall@10 {result.RecallAt10:F4} ({result.RecallAt10Ties:F4} with ties), recall@100 {result.RecallAt100:F4}, {qps:F0} queries/s ({qps / exactQps:F1}× exact)");
            results.Add(result);
            (index as IDisposable)?.Dispose();
        }
        return results;
    }

    /// <summary>The exact top <paramref name="k"/> item ids by float inner product (ties: lower id first).</summary>
    public static int[] Exact(ReadOnlySpan<float> vectors, ReadOnlySpan<float> query, int k)
    {
        var d = query.Length;
        var n = vectors.Length / d;
        const int block = 8192;
        var scores = new float[Math.Min(block, n)];
        var best = new TopKHeap(Math.Min(k, n));
        for (var r0 = 0; r0 < n; r0 += block)
        {
            var rows = Math.Min(block, n - r0);
            RowDots.Forward(vectors.Slice(r0 * d, rows * d), query, scores.AsSpan(0, rows));
            for (var r = 0; r < rows; r++) best.Offer(r0 + r, scores[r]);
        }
        return best.ToSortedArray().Select(s => s.Item).ToArray();
    }

    // How many of the first k found items score at least the exact k-th best (a relative 1e-5 apart: the kernels sum in different orders).
    private static int Reaching(ScoredItem[] found, int k, float kth, Func<int, float> exact) =>
        found.Take(k).Count(s => exact(s.Item) >= kth - 1e-5f * Math.Max(1f, Math.Abs(kth)));

    private static int Overlap(ScoredItem[] found, int[] truth, int k)
    {
        var top = new HashSet<int>(truth.Take(k));
        return found.Take(k).Count(s => top.Contains(s.Item));
    }
}
