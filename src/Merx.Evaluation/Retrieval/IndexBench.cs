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
    /// ANN-benchmarks' ε-recall@10: the share of the index's top 10 whose exact score is within ε·|s₁₀| of the exact
    /// 10th best score s₁₀ (<see cref="IndexBench.Run"/>'s epsilon). It counts ties and near-ties as found: a
    /// trained model's untrained items are their features alone, and differ by little more than the untrained
    /// embeddings' initial noise, so which of them the exact scan puts in its top 10 is close to arbitrary.
    /// </summary>
    [JsonPropertyName("recall@10_eps")] public double RecallAt10Epsilon { get; init; }
    /// <summary>ε-recall@100 (<see cref="RecallAt10Epsilon"/>).</summary>
    [JsonPropertyName("recall@100_eps")] public double RecallAt100Epsilon { get; init; }
    /// <summary>Queries/s of top-100 searches (what a recommendation asks the serving index for: max(50, 10 n) candidates).</summary>
    [JsonPropertyName("qps@100")] public double QpsAt100 { get; init; }
    /// <summary>The ε of the ε-recalls.</summary>
    [JsonPropertyName("epsilon")] public double Epsilon { get; init; }
    /// <summary>
    /// Of the vectors, not the index: the largest rank by item norm (0 = the longest vector) of any item in any query's
    /// exact top 10. Small when a model's best answers are its few long vectors, what <see cref="HnswOptions.HeadItems"/> scans.
    /// </summary>
    [JsonPropertyName("exact_top10_max_norm_rank")] public int ExactTop10MaxNormRank { get; init; }
    /// <summary>Of the vectors: the share of the queries' exact top-100 items among the <see cref="HnswOptions.HeadFor"/>(n) longest vectors.</summary>
    [JsonPropertyName("exact_top100_in_head")] public double ExactTop100InHead { get; init; }
    /// <summary>HNSW with a head: the share of top-10 searches the head answered alone, proven exact (<see cref="HnswIndex.HeadAnswers"/>); null for other indexes.</summary>
    [JsonPropertyName("head_answers@10")] public double? HeadAnswersAt10 { get; init; }
    /// <summary>The same for top-100 searches.</summary>
    [JsonPropertyName("head_answers@100")] public double? HeadAnswersAt100 { get; init; }
    /// <summary>HNSW with a head: the share of top-10 searches the head answered alone without the proof, on its audited record (<see cref="HnswIndex.HeadAnswersOnRecord"/>).</summary>
    [JsonPropertyName("head_on_record@10")] public double? HeadOnRecordAt10 { get; init; }
    /// <summary>The same for top-100 searches.</summary>
    [JsonPropertyName("head_on_record@100")] public double? HeadOnRecordAt100 { get; init; }
}

/// <summary>
/// Recall and speed of item indexes against the exact scan (the reference: every item scored with the
/// float kernel, <see cref="RowDots"/>): recall@k = |index top k ∩ exact top k| / k averaged over queries;
/// queries/s of top-10 searches on one thread, the exact scan timed on the same queries in the same run.
/// </summary>
public static class IndexBench
{
    /// <summary>An index to measure: a name for the report, how to build it over (n, d) vectors, its settings in words.</summary>
    public sealed record Candidate(string Settings, Func<VectorTable, IItemIndex> Build);

    /// <param name="vectors">(n, d) item vectors.</param>
    /// <param name="queries">(q, d) query vectors.</param>
    /// <param name="epsilon">Relative score tolerance of the ε-recalls (ANN-benchmarks uses 0.01); 0 counts exact ties only.</param>
    public static IReadOnlyList<IndexBenchResult> Run(float[] vectors, float[] queries, int d, IEnumerable<Candidate> candidates, IProgress<string>? progress = null, double epsilon = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epsilon);
        var n = vectors.Length / d;
        var q = queries.Length / d;
        progress?.Report($"exact scan: top 100 of {n:N0} items for {q:N0} queries");
        var clock = Stopwatch.StartNew();
        var truth = new int[q][];
        for (var i = 0; i < q; i++) truth[i] = Exact(vectors, queries.AsSpan(i * d, d), 100);
        // The exact k-th best score of each query, for the ε-recalls.
        float Dot(int i, int item) => System.Numerics.Tensors.TensorPrimitives.Dot<float>(queries.AsSpan(i * d, d), vectors.AsSpan(item * d, d));
        float Kth(int i, int k) => truth[i].Length == 0 ? float.NegativeInfinity : Dot(i, truth[i][Math.Min(k, truth[i].Length) - 1]);
        var exactQps = q / clock.Elapsed.TotalSeconds;
        progress?.Report($"exact scan: {exactQps:F1} queries/s");
        var (maxRank, inHead) = NormRanks(vectors, d, truth);
        progress?.Report($"exact answers by item norm: every top-10 item within the {maxRank + 1:N0} longest vectors, {inHead:P2} of the top-100 items within the {HnswOptions.HeadFor(n):N0} longest");

        var results = new List<IndexBenchResult>();
        foreach (var candidate in candidates)
        {
            clock.Restart();
            var index = candidate.Build(VectorTable.OfFloats(vectors, d));
            var build = clock.Elapsed.TotalSeconds;
            progress?.Report($"{index.Name}: built in {build:F1} s");
            double hits10 = 0, hits100 = 0, near10 = 0, near100 = 0;
            var found = new ScoredItem[q][];
            clock.Restart();
            for (var i = 0; i < q; i++) found[i] = index.Search(queries.AsSpan(i * d, d), 10);
            var qps = q / clock.Elapsed.TotalSeconds;
            var head10 = (index as HnswIndex)?.HeadAnswers;
            var record10 = (index as HnswIndex)?.HeadAnswersOnRecord;
            var wide = new ScoredItem[q][];
            clock.Restart();
            for (var i = 0; i < q; i++) wide[i] = index.Search(queries.AsSpan(i * d, d), 100);
            var qps100 = q / clock.Elapsed.TotalSeconds;
            var head100 = (index as HnswIndex)?.HeadAnswers - head10;
            var record100 = (index as HnswIndex)?.HeadAnswersOnRecord - record10;
            for (var i = 0; i < q; i++)
            {
                hits10 += Overlap(found[i], truth[i], 10);
                near10 += Reaching(found[i], 10, Kth(i, 10), epsilon, item => Dot(i, item));
                hits100 += Overlap(wide[i], truth[i], 100);
                near100 += Reaching(wide[i], 100, Kth(i, 100), epsilon, item => Dot(i, item));
            }
            var result = new IndexBenchResult(index.Name, n, d, q, hits10 / (10.0 * q), hits100 / (100.0 * q), qps, exactQps, build, index.BytesPerItem, candidate.Settings)
            {
                RecallAt10Epsilon = near10 / (10.0 * q), RecallAt100Epsilon = near100 / (100.0 * q), Epsilon = epsilon,
                ExactTop10MaxNormRank = maxRank, ExactTop100InHead = inHead, QpsAt100 = qps100,
                HeadAnswersAt10 = head10 / (double)q, HeadAnswersAt100 = head100 / (double)q,
                HeadOnRecordAt10 = record10 / (double)q, HeadOnRecordAt100 = record100 / (double)q,
            };
            progress?.Report($"{index.Name}: recall@10 {result.RecallAt10:F4} ({result.RecallAt10Epsilon:F4} within ε {epsilon}), recall@100 {result.RecallAt100:F4}, {qps:F0} queries/s ({qps / exactQps:F1}× exact), top 100: {qps100:F0} queries/s{(head10 is null ? "" : $"; the head alone answered {head10 / (double)q:P1} of the top-10 and {head100 / (double)q:P1} of the top-100 searches with its proof, {record10 / (double)q:P1} and {record100 / (double)q:P1} on its record")}");
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

    // Items ranked by norm (longest first, ties: lower id); the worst rank among the top-10 answers, the top-100 answers' share in the default head.
    private static (int MaxRank, double InHead) NormRanks(float[] vectors, int d, int[][] truth)
    {
        var n = vectors.Length / d;
        var order = new int[n];
        var keys = new float[n];
        for (var i = 0; i < n; i++) { order[i] = i; keys[i] = -System.Numerics.Tensors.TensorPrimitives.Norm<float>(vectors.AsSpan(i * d, d)); }
        Array.Sort(keys, order);   // unstable among equal norms: re-sort each run of ties by id
        for (var a = 0; a < n;)
        {
            var b = a + 1;
            while (b < n && keys[b] == keys[a]) b++;
            if (b - a > 1) Array.Sort(order, a, b - a);
            a = b;
        }
        var rank = new int[n];
        for (var r = 0; r < n; r++) rank[order[r]] = r;
        var head = HnswOptions.HeadFor(n);
        int maxRank = 0, within = 0, all = 0;
        foreach (var t in truth)
            for (var j = 0; j < t.Length; j++)
            {
                if (j < 10) maxRank = Math.Max(maxRank, rank[t[j]]);
                all++;
                if (rank[t[j]] < head) within++;
            }
        return (maxRank, all == 0 ? 0 : within / (double)all);
    }

    // How many of the first k found items score at least the exact k-th best less ε·|k-th| (and 1e-5 more: the kernels sum in different orders).
    private static int Reaching(ScoredItem[] found, int k, float kth, double epsilon, Func<int, float> exact) =>
        found.Take(k).Count(s => exact(s.Item) >= kth - epsilon * Math.Abs(kth) - 1e-5 * Math.Max(1f, Math.Abs(kth)));

    private static int Overlap(ScoredItem[] found, int[] truth, int k)
    {
        var top = new HashSet<int>(truth.Take(k));
        return found.Take(k).Count(s => top.Contains(s.Item));
    }
}
