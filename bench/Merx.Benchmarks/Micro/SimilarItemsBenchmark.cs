using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Benchmarks.Micro;

/// <summary>
/// One similar-items request at catalog scale (issue #21): the 10 nearest rows by cosine among 1,000,000 rows of 64
/// floats (random, seed 42). <see cref="TopK.CosineNeighbours"/>, the pass BPR, ALS and the Transformer share, beside the
/// pass it replaced (a cosine call per row into an n-sized score array, then a top-k selection), kept here only as the
/// baseline it is measured against. One thread.
/// </summary>
[MemoryDiagnoser]
public class SimilarItemsBenchmark
{
    private const int Items = 1_000_000, D = 64, K = 10, Query = 123_457;
    private float[] _rows = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new SplitMix64(42);
        _rows = new float[Items * D];
        for (var i = 0; i < _rows.Length; i++) _rows[i] = (float)(rng.NextDouble() * 2 - 1);
    }

    [Benchmark(Description = "similar items 1M×64: TopK.CosineNeighbours")]
    public ScoredItem[] Blockwise() => TopK.CosineNeighbours(Merx.Numerics.VectorTable.OfFloats(_rows, Items, D), Query, K);

    [Benchmark(Baseline = true, Description = "similar items 1M×64: cosine per row + n-sized scores (before)")]
    public ScoredItem[] PerRow()
    {
        var scores = new float[Items];
        var q = _rows.AsSpan(Query * D, D);
        for (var i = 0; i < Items; i++) scores[i] = TensorPrimitives.CosineSimilarity(q, _rows.AsSpan(i * D, D));
        scores[Query] = float.NegativeInfinity;
        return TopK.Select(scores, K);
    }
}
