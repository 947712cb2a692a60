using Merx.Core.Contracts;
using Merx.Evaluation.Retrieval;
using Merx.Ranking.Retrieval;

namespace Merx.Ranking.Tests.Retrieval;

/// <summary>Issue 21: the int8 scan and the HNSW graph against the exact float scan, their reference twin.</summary>
public sealed class ItemIndexTests
{
    private const int N = 4000, D = 32;
    private static readonly float[] Vectors = ClusteredVectors.Items(N, D, seed: 5);
    private static readonly float[] Queries = ClusteredVectors.Queries(N, D, 50, seed: 5);

    private static double Recall(IItemIndex index, int k, Func<int, bool>? ok = null)
    {
        double hits = 0;
        for (var i = 0; i < 50; i++)
        {
            var q = Queries.AsSpan(i * D, D).ToArray();
            var truth = Exact(q, k, ok);
            var found = index.Search(q, k, ok);
            Assert.All(found, s => Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot<float>(Vectors.AsSpan(s.Item * D, D), q), s.Score, 1e-4f));
            Assert.All(found, s => Assert.True(ok is null || ok(s.Item)));
            hits += found.Count(s => truth.Contains(s.Item));
        }
        return hits / (50.0 * k);
    }

    private static HashSet<int> Exact(float[] q, int k, Func<int, bool>? ok)
    {
        var best = new TopKHeap(k);
        for (var i = 0; i < N; i++)
            if (ok is null || ok(i)) best.Offer(i, System.Numerics.Tensors.TensorPrimitives.Dot<float>(Vectors.AsSpan(i * D, D), q));
        return best.ToSortedArray().Select(s => s.Item).ToHashSet();
    }

    [Fact]
    public void Int8Scan_WithEveryItemACandidate_IsTheExactScan()
    {
        var all = Int8ScanIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), candidateFactor: 1, minCandidates: N);
        Assert.Equal(1.0, Recall(all, 10));
        Assert.Equal(1.0, Recall(all, 10, i => i % 3 != 0));
    }

    [Fact]
    public void Int8Scan_DefaultCandidates_KeepRecallAtTen_AtOne_AndStoreDPlusFourBytes()
    {
        var index = Int8ScanIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D));
        Assert.Equal(D + 4, index.BytesPerItem);
        // Measured: quantization error never pushes a true top-10 item out of the top 100 candidates here.
        Assert.Equal(1.0, Recall(index, 10));
        Assert.Equal(1.0, Recall(index, 10, i => i % 3 != 0));
    }

    [Fact]
    public void PqScan_WithEveryItemACandidate_IsTheExactScan_AndItsCodesFindMostOfTheTopTenAmongFewCandidates()
    {
        var table = Merx.Numerics.VectorTable.OfFloats(Vectors, D);
        var all = PqScanIndex.Build(table, candidateFactor: 1, minCandidates: N);
        Assert.Equal(1.0, Recall(all, 10));
        Assert.Equal(1.0, Recall(all, 10, i => i % 3 != 0));
        var index = PqScanIndex.Build(table);
        Assert.Equal(D / 4, index.Subspaces);
        Assert.Equal(D / 4 + 4.0 * 256 * D / N, index.BytesPerItem, 9);   // the codes, and the centroids shared out
        // Measured on these clustered vectors: every true top-10 item among the best 100 by the codes (recall 1.0, with and without the filter).
        Assert.True(Recall(index, 10) >= 0.95);
        Assert.True(Recall(index, 10, i => i % 3 != 0) >= 0.95);
        // The same build for the same seed; bad shapes refused.
        Assert.Equal(index.Search(Queries.AsSpan(0, D), 10), PqScanIndex.Build(table).Search(Queries.AsSpan(0, D), 10));
        Assert.Throws<ArgumentException>(() => PqScanIndex.Build(table, subspaces: 5));
        Assert.Throws<ArgumentException>(() => index.Search(new float[D - 1], 10));
        Assert.Throws<ArgumentException>(() => PqScanIndex.Build(Merx.Numerics.VectorTable.OfFloats([1f, float.NaN, 0f, 0f], 4)));
    }

    [Theory]
    [InlineData(HnswStorage.Float16, 0.99)]
    [InlineData(HnswStorage.Float32, 0.99)]
    [InlineData(HnswStorage.Int8, 0.95)]
    public void Hnsw_FindsAlmostEveryTrueTopTen_AndHonoursTheFilter(HnswStorage storage, double atLeast)
    {
        // The graph alone (HeadItems 0): a default head would hold all 4,000 items and make any graph exact.
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), new HnswOptions(storage, HeadItems: 0));
        Assert.Equal(N, index.Count);
        Assert.InRange(Recall(index, 10), atLeast, 1.0);
        Assert.InRange(Recall(index, 10, i => i % 3 != 0), atLeast, 1.0);
    }

    [Fact]
    public void Hnsw_ManyMoreConcurrentSearchesThanCores_AllAnswer_AsTheyDoOneAtATime()
    {
        // USearch holds one search context per hardware thread; a search finding none free used to fail
        // ("Reserve capacity ahead of searches!": 3 % of requests under 8 connections in the load benchmark).
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D));
        var expected = Enumerable.Range(0, 50).Select(i => index.Search(Queries.AsSpan(i * D, D), 10).Select(s => s.Item).ToArray()).ToArray();
        var failures = 0;
        Parallel.For(0, 8 * Environment.ProcessorCount, new ParallelOptions { MaxDegreeOfParallelism = 8 * Environment.ProcessorCount }, t =>
        {
            for (var j = 0; j < 100; j++)
            {
                var i = (t * 7 + j) % 50;
                try { if (!index.Search(Queries.AsSpan(i * D, D), 10).Select(s => s.Item).SequenceEqual(expected[i])) Interlocked.Increment(ref failures); }
                catch (Cloud.Unum.USearch.USearchException) { Interlocked.Increment(ref failures); }
            }
        });
        Assert.Equal(0, failures);
    }

    [Theory]
    [InlineData(0)]      // the graph alone
    [InlineData(null)]   // the default head: every item here, so the removals go through it too
    public void Hnsw_AnAddedItemIsFoundByTheNextSearch_AndARemovedOneNeverAgain(int? head)
    {
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), new HnswOptions(HeadItems: head));
        var q = Queries.AsSpan(0, D).ToArray();
        var top = index.Search(q, 10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var newItem = N + 17;
        var v = q.Select(x => x * 10).ToArray();   // far ahead of every item for this query
        index.Add(newItem, v);
        var after = index.Search(q, 10);
        clock.Stop();
        Assert.Equal(newItem, after[0].Item);
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot<float>(v, q), after[0].Score, 1e-3f);
        Assert.Equal(top.Take(9).Select(s => s.Item), after.Skip(1).Select(s => s.Item));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"add + search took {clock.Elapsed}");

        Assert.True(index.Remove(newItem));
        Assert.True(index.Remove(top[0].Item));
        Assert.False(index.Remove(top[0].Item));
        var removed = index.Search(q, 10);
        Assert.DoesNotContain(removed, s => s.Item == newItem || s.Item == top[0].Item);
        Assert.Equal(top.Skip(1).Select(s => s.Item), removed.Take(9).Select(s => s.Item));
    }

    [Fact]
    public void Hnsw_SearchWidth_GrowsWithTheCatalog_AsMeasuredAtOneAndTenMillion()
    {
        Assert.Equal(new HnswOptions().ExpansionSearch, HnswOptions.ExpansionSearchFor(1_000_000));
        Assert.Equal(128, HnswOptions.ExpansionSearchFor(50_000));
        Assert.Equal(256, HnswOptions.ExpansionSearchFor(4_000_000));
        Assert.Equal(512, HnswOptions.ExpansionSearchFor(10_000_000));
    }

    [Fact]
    public void Hnsw_SearchesAsWideAsItsOptionsSay_AlsoWhenReadBackFromAFile()
    {
        // The binding loads a file with USearch's default search width (64); the options' width must hold anyway:
        // a sparse graph searched as wide as the catalog finds what the built one finds, and more than a narrow search.
        var options = new HnswOptions(ExpansionSearch: N, Connectivity: 4, ExpansionAdd: 8, HeadItems: 0);
        var path = Path.Combine(Path.GetTempPath(), $"merx-hnsw-{Guid.NewGuid():N}.usearch");
        try
        {
            using var built = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), options);
            built.Save(path);
            using var loaded = HnswIndex.Load(path, Merx.Numerics.VectorTable.OfFloats(Vectors, D), options);
            var wide = Recall(built, 10);
            Assert.Equal(wide, Recall(loaded, 10));
            using var narrow = HnswIndex.Load(path, Merx.Numerics.VectorTable.OfFloats(Vectors, D), options with { ExpansionSearch = 1 });
            Assert.True(Recall(narrow, 10) < wide - 0.05, $"a narrow search of a sparse graph finds less ({Recall(narrow, 10)} vs {wide})");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Hnsw_SavedAndLoaded_AnswersAsBuilt_AndRefusesAFileOfOtherVectors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"merx-hnsw-{Guid.NewGuid():N}.usearch");
        try
        {
            using var built = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D));
            built.Save(path);
            using var loaded = HnswIndex.Load(path, Merx.Numerics.VectorTable.OfFloats(Vectors, D));
            Assert.Equal(N, loaded.Count);
            for (var i = 0; i < 10; i++)
            {
                var q = Queries.AsSpan(i * D, D);
                Assert.Equal(built.Search(q, 10), loaded.Search(q, 10));
            }
            Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path, Merx.Numerics.VectorTable.OfFloats(Vectors.AsSpan(0, 100 * D).ToArray(), D)));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Hnsw_RejectsBadInput()
    {
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors.AsSpan(0, 10 * D).ToArray(), D));
        Assert.Throws<ArgumentException>(() => index.Search(new float[D + 1], 5));
        Assert.Throws<ArgumentException>(() => index.Add(3, new float[D - 1]));
        Assert.Throws<ArgumentException>(() => index.Add(3, Enumerable.Repeat(float.NaN, D).ToArray()));
        Assert.Throws<ArgumentException>(() => HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(new float[7], 2)));
        Assert.Throws<OperationCanceledException>(() => HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), cancel: new CancellationToken(canceled: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), new HnswOptions(HeadItems: -1)));
    }
}
