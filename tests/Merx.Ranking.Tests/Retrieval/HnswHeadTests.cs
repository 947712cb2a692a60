using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Numerics;
using Merx.Ranking.Retrieval;

namespace Merx.Ranking.Tests.Retrieval;

/// <summary>
/// Issue 21: the items of largest norm scanned beside the HNSW graph. A trained model's best answers are its few
/// high-norm items, which an inner-product graph reaches worst; the exact scan is the reference twin.
/// </summary>
public sealed class HnswHeadTests
{
    private const int N = 3000, D = 8, Hot = 100, Queries = 40;
    // Most items small and spread; 100 "learned" items ten times longer. Their norm puts every query's top-10 among them.
    private static readonly float[] Vectors = Build();
    private static readonly HnswOptions Sparse = new(Connectivity: 2, ExpansionAdd: 2, ExpansionSearch: 1, HeadItems: 0);

    private static float[] Build()
    {
        var rng = new SplitMix64(11);
        var x = new float[N * D];
        for (var i = 0; i < N; i++)
        {
            var row = x.AsSpan(i * D, D);
            for (var t = 0; t < D; t++) row[t] = (float)rng.NextGaussian();
            TensorPrimitives.Multiply(row, (i % (N / Hot) == 7 ? 10f : 1f) / TensorPrimitives.Norm(row), row);
        }
        return x;
    }

    private static float[] Query(int i)
    {
        var rng = new SplitMix64(1000 + (ulong)i);
        return Enumerable.Range(0, D).Select(_ => (float)rng.NextGaussian()).ToArray();
    }

    private static int[] Exact(float[] q, int k, Func<int, bool>? ok = null)
    {
        var best = new TopKHeap(k);
        for (var i = 0; i < N; i++)
            if (ok is null || ok(i)) best.Offer(i, TensorPrimitives.Dot<float>(Vectors.AsSpan(i * D, D), q));
        return best.ToSortedArray().Select(s => s.Item).ToArray();
    }

    private static double Recall(HnswIndex index, Func<int, bool>? ok = null)
    {
        double hits = 0;
        for (var i = 0; i < Queries; i++)
        {
            var q = Query(i);
            hits += index.Search(q, 10, ok).Select(s => s.Item).Intersect(Exact(q, 10, ok)).Count();
        }
        return hits / (Queries * 10.0);
    }

    [Fact]
    public void TheHead_FindsTheHighNormAnswers_ThatASparseGraphMisses()
    {
        for (var i = 0; i < Queries; i++) Assert.All(Exact(Query(i), 10), item => Assert.Equal(7, item % (N / Hot)));
        using var graph = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse);
        using var headed = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = 128 });
        Assert.Equal(0, graph.HeadCount);
        Assert.Equal(128, headed.HeadCount);
        var alone = Recall(graph);
        Assert.True(alone < 0.9, $"the sparse graph alone should miss answers here (recall {alone})");
        // Every hot item is in the head, and every true top-10 lies in the head's best 100 by int8 score: the answers are exact.
        Assert.Equal(1.0, Recall(headed));
        Assert.Equal(1.0, Recall(headed, i => i % 60 != 7));   // half the hot items filtered out
        Assert.All(headed.Search(Query(0), 10, i => i % 60 != 7), s => Assert.NotEqual(7, s.Item % 60));
        Assert.True(headed.BytesPerItem > graph.BytesPerItem);
    }

    [Fact]
    public void AHeadItem_Replaced_IsScoredByItsNewVector_AndRemoved_IsNeverReturned()
    {
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = 128 });
        var q = Query(3);
        var top = index.Search(q, 10);
        var first = top[0].Item;
        // Shrunk to a tenth, the best item falls out of the top 10; grown back past every item, it leads again.
        index.Add(first, Vectors.AsSpan(first * D, D).ToArray().Select(v => v / 10).ToArray());
        Assert.DoesNotContain(index.Search(q, 10), s => s.Item == first);
        var big = q.Select(v => v * 10).ToArray();
        index.Add(first, big);
        var back = index.Search(q, 10);
        Assert.Equal(first, back[0].Item);
        Assert.Equal(TensorPrimitives.Dot<float>(big, q), back[0].Score, 1e-3f);
        Assert.True(index.Remove(first));
        var after = index.Search(q, 10);
        Assert.DoesNotContain(after, s => s.Item == first);
        Assert.Equal(top.Skip(1).Select(s => s.Item), after.Take(9).Select(s => s.Item));
    }

    [Fact]
    public void TheDefaultHead_Is16384Items_OrTheWholeSmallerCatalog()
    {
        Assert.Equal(3000, HnswOptions.HeadFor(3000));
        Assert.Equal(16_384, HnswOptions.HeadFor(1_000_000));
        Assert.Equal(16_384, HnswOptions.HeadFor(10_000_000));
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D));
        Assert.Equal(N, index.HeadCount);
    }

    [Fact]
    public void TheHead_AnswersAlone_WhenNothingOutsideItCanReachItsKthScore_AndThoseAnswersAreExact()
    {
        // The head is exactly the 100 long items; every other item has norm 1, so a top-10 of scores above |q| is proven.
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = Hot });
        for (var i = 0; i < Queries; i++)
        {
            var q = Query(i);
            Assert.Equal(Exact(q, 10), index.Search(q, 10).Select(s => s.Item));
            Assert.True(Exact(q, 10).All(item => TensorPrimitives.Dot<float>(Vectors.AsSpan(item * D, D), q) >= TensorPrimitives.Norm<float>(q)));
        }
        Assert.Equal(Queries, index.HeadAnswers);
        // A top-200 needs items outside the head: the graph is searched, and nothing is claimed.
        index.Search(Query(0), 200);
        Assert.Equal(Queries, index.HeadAnswers);
        Assert.Equal(Queries + 1, index.Searches);
    }

    [Fact]
    public void AnItemAddedOutsideTheHead_WithALargerNorm_KeepsTheHeadFromAnsweringAlone_AndIsFound()
    {
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), new HnswOptions(HeadItems: Hot));
        var q = Query(5);
        index.Search(q, 10);
        Assert.Equal(1, index.HeadAnswers);
        index.Add(N, q.Select(v => v * 100).ToArray());
        var top = index.Search(q, 10);
        Assert.Equal(N, top[0].Item);
        Assert.Equal(1, index.HeadAnswers);
        // Removed again, the bound stays where the added item put it: the graph keeps being asked, and the answers stay exact.
        Assert.True(index.Remove(N));
        Assert.Equal(Exact(q, 10), index.Search(q, 10).Select(s => s.Item));
        Assert.Equal(1, index.HeadAnswers);
    }

    [Fact]
    public void ACatalogWhollyInTheHead_IsAnsweredByTheHeadAlone_ExactlyAtAnyK_AndUnderAFilter()
    {
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = N });
        Func<int, bool> odd = i => i % 2 == 1;
        for (var i = 0; i < 5; i++)
        {
            var q = Query(i);
            Assert.Equal(Exact(q, 100), index.Search(q, 100).Select(s => s.Item));
            Assert.Equal(Exact(q, 10, odd), index.Search(q, 10, odd).Select(s => s.Item));
        }
        Assert.Equal(10, index.HeadAnswers);
        Assert.Empty(index.Search(Query(0), 10, _ => false));   // nothing admissible: nothing found, and no failure
        Assert.Equal(11, index.HeadAnswers);
    }

    [Fact]
    public void WhenTheHeadSeldomProves_TheGraphGoesFirst_WithTheSameAnswers()
    {
        // A top-200 from a head of 100 can never be proven: after 64 tries the sparse graph is searched first, the head
        // after it, and the head must still add the long items the graph misses.
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = Hot });
        var q = Query(7);
        var first = index.Search(q, 200);
        for (var i = 0; i < 80; i++) Assert.Equal(first, index.Search(q, 200));
        Assert.Equal(0, index.HeadAnswers);
        Assert.Equal(Exact(q, 10), first.Take(10).Select(s => s.Item));
        // Top-10 searches keep their own count: the head still answers them alone.
        index.Search(q, 10);
        Assert.Equal(1, index.HeadAnswers);
    }

    // The shared vectors with item 0 turned into a long item (norm 9) opposite to every AwayQuery: it is the longest item
    // outside a head of the 100 hot items, so the head can never prove a top-10, yet it never belongs to an answer.
    private static float[] WithLongOutsider()
    {
        var x = (float[])Vectors.Clone();
        x.AsSpan(0, D).Clear();
        x[0] = -9;
        return x;
    }

    private static float[] AwayQuery(int i)
    {
        var q = Query(i);
        q[0] = MathF.Abs(q[0]) + 3;
        return q;
    }

    private static int[] ExactOver(float[] x, float[] q, int k)
    {
        var best = new TopKHeap(k);
        for (var i = 0; i < x.Length / D; i++) best.Offer(i, TensorPrimitives.Dot<float>(x.AsSpan(i * D, D), q));
        return best.ToSortedArray().Select(s => s.Item).ToArray();
    }

    [Fact]
    public void WithoutItsProof_TheHeadAnswersAlone_OnceItsAuditsMissNothing_AndEvery16thSearchStillAudits()
    {
        var x = WithLongOutsider();
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(x, D), Sparse with { HeadItems = Hot });
        using var strict = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(x, D), Sparse with { HeadItems = Hot, HeadTolerance = 0 });
        for (var i = 0; i < 400; i++)
        {
            var q = AwayQuery(i);
            var exact = ExactOver(x, q, 10);
            Assert.Equal(exact, index.Search(q, 10).Select(s => s.Item));
            Assert.Equal(exact, strict.Search(q, 10).Select(s => s.Item));
        }
        Assert.Equal(0, index.HeadAnswers);   // never proven: |q|·9 lies above every k-th score
        Assert.Equal(0, strict.HeadAnswersOnRecord);
        // 64 audited searches, then every search but the audit turns (search number ≡ 7 mod 16) answers alone.
        var turns = Enumerable.Range(65, 400 - 64).Count(n => n % 16 == 7);
        Assert.Equal(400 - 64 - turns, index.HeadAnswersOnRecord);
        Assert.Equal(400, index.Searches);
    }

    [Fact]
    public void AHeadThatMissesAnswers_NeverAnswersAloneWithoutItsProof_AndAnswersAsTheStrictIndex()
    {
        // A head of 50 holds half the hot items: the other half, outside it, are in most answers, and audits see them.
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = Hot / 2, Connectivity = 4, ExpansionSearch = 16 });
        using var strict = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(Vectors, D), Sparse with { HeadItems = Hot / 2, Connectivity = 4, ExpansionSearch = 16, HeadTolerance = 0 });
        for (var i = 0; i < 300; i++)
        {
            var q = Query(i);
            Assert.Equal(strict.Search(q, 10), index.Search(q, 10));
        }
        Assert.Equal(0, index.HeadAnswersOnRecord);
    }

    [Fact]
    public void AnItemAddedWithTheNormOfAHeadItem_ClearsTheRecord_AndIsFoundAtOnce()
    {
        var x = WithLongOutsider();
        using var index = HnswIndex.Build(Merx.Numerics.VectorTable.OfFloats(x, D), Sparse with { HeadItems = Hot });
        for (var i = 0; i < 100; i++) index.Search(AwayQuery(i), 10);
        var answered = index.HeadAnswersOnRecord;
        Assert.True(answered > 0);
        var q = AwayQuery(1000);
        index.Add(N, q.Select(v => v * 100).ToArray());
        Assert.Equal(N, index.Search(q, 10)[0].Item);
        for (var i = 0; i < 60; i++) index.Search(AwayQuery(i), 10);
        Assert.Equal(answered, index.HeadAnswersOnRecord);   // learning again: 64 audits before the head answers alone
    }

    [Fact]
    public void TheNormBoundedScan_StopsEarly_WithTheFullScansPool()
    {
        // Rows by falling norm, as the head holds them: the bounded scan must keep exactly what the full scan keeps, at any
        // pool size and starting floor, and stop before the end when the pool is small.
        var rng = new SplitMix64(5);
        const int rows = 4000;
        var x = new float[rows * D];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * D, D);
            // Near one direction, so a row's score comes close to its bound and the stop is tested where it is tight.
            for (var t = 0; t < D; t++) row[t] = 1 + 0.5f * (float)rng.NextGaussian();
            TensorPrimitives.Multiply(row, 20f * (1 - r / (2f * rows)) / TensorPrimitives.Norm(row), row);
        }
        var q = new sbyte[rows * D];
        var scale = new float[rows];
        Int8Rows.Quantize(x, D, q, scale);
        var keys = Enumerable.Range(0, rows).ToArray();
        var tail = Int8ScanIndex.TailNorms(q, scale);
        Assert.True(tail.Zip(tail.Skip(1)).All(p => p.First >= p.Second));
        Span<sbyte> uq = stackalloc sbyte[D];
        var stopped = 0;
        for (var i = 0; i < Queries; i++)
        {
            Int8Rows.QuantizeRow(Query(i).Select(v => v + 2).ToArray(), uq);
            foreach (var (size, start) in new[] { (20, float.NegativeInfinity), (200, float.NegativeInfinity), (20, 500f) })
            {
                var full = new TopKHeap(size);
                var bounded = new TopKHeap(size);
                Int8ScanIndex.Scan(q, scale, uq, keys, full, null, start);
                Int8ScanIndex.Scan(q, scale, uq, keys, bounded, null, start, tail);
                Assert.Equal(full.ToSortedArray(), bounded.ToSortedArray());
                if (full.Floor > tail[^1] * MathF.Sqrt(TensorPrimitives.SumOfSquares<float>(uq.ToArray().Select(v => (float)v).ToArray()))) stopped++;
            }
        }
        Assert.True(stopped > Queries, $"the bound should let most scans stop before the end ({stopped} did)");
        // The scan does stop on its bound: told that nothing past row 512 scores above 0, it never sees row 3000, which
        // is the query itself made long.
        Int8Rows.QuantizeRow(Query(0), uq);
        scale[3000] = Int8Rows.QuantizeRow(Query(0).Select(v => v * 100).ToArray(), q.AsSpan(3000 * D, D));
        var lying = (float[])tail.Clone();
        lying.AsSpan(512).Clear();
        var all = new TopKHeap(20);
        var cut = new TopKHeap(20);
        Int8ScanIndex.Scan(q, scale, uq, keys, all, null);
        Int8ScanIndex.Scan(q, scale, uq, keys, cut, null, float.NegativeInfinity, lying);
        Assert.Equal(3000, all.ToSortedArray()[0].Item);
        Assert.DoesNotContain(3000, cut.ToSortedArray().Select(c => c.Item));
    }

    [Fact]
    public void TheScan_FromItsSampledFloor_KeepsWhatEveryRowOfferedInTurnKeeps_EvenWhenTheFilterEmptiesTheTop()
    {
        // A pool of 64 or more starts from a floor estimated on a sample and offers the rows under it only when too few
        // above it were admissible: the pool must be the one that offering every admissible row in turn gives.
        const int rows = 6000, d = 64;
        var rng = new SplitMix64(9);
        var x = new float[rows * d];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian() * (1 + i / d % 7);
        var q = new sbyte[rows * d];
        var scale = new float[rows];
        Int8Rows.Quantize(x, d, q, scale);
        var keys = Enumerable.Range(0, rows).Select(r => 3 * r + 1).ToArray();
        var uq = new sbyte[d];
        var dots = new int[rows];
        for (var i = 0; i < 12; i++)
        {
            for (var t = 0; t < d; t++) uq[t] = (sbyte)(rng.NextGaussian() * 40);
            Int8Rows.Reference(q, uq, dots);
            var scores = dots.Select((v, r) => (float)v * scale[r]).ToArray();
            var byScore = Enumerable.Range(0, rows).OrderByDescending(r => scores[r]).ToArray();
            var topKeys = byScore.Take(400).Select(r => keys[r]).ToHashSet();
            foreach (var size in new[] { 64, 100, 200 })
            {
                Assert.True(Int8ScanIndex.SampledFloor(q, scale, uq, size) > float.NegativeInfinity, "a pool this size starts from the sample");
                foreach (var accept in new Func<int, bool>?[] { null, key => key % 5 != 1, key => !topKeys.Contains(key), key => key % 97 == 4 })
                    foreach (var start in new[] { float.NegativeInfinity, scores[byScore[size / 2]] })
                    {
                        var expected = new TopKHeap(size);
                        for (var r = 0; r < rows; r++)
                            if (scores[r] >= start && (accept is null || accept(keys[r]))) expected.Offer(keys[r], scores[r]);
                        var pool = new TopKHeap(size);
                        Int8ScanIndex.Scan(q, scale, uq, keys, pool, accept, start);
                        Assert.Equal(expected.ToSortedArray(), pool.ToSortedArray());
                    }
            }
        }
        Assert.Equal(float.NegativeInfinity, Int8ScanIndex.SampledFloor(q, scale, uq, 20));   // a small pool takes few offers anyway
    }
}

