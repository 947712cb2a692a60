using BenchmarkDotNet.Attributes;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Models.Sequential;
using Merx.Numerics;

namespace Merx.Benchmarks.Micro;

/// <summary>
/// One optimizer step of the Transformer (forward, backward over the full softmax, AdamW) through the plain
/// trainer's surface (issue 22): d = 64, 2 blocks, sequences up to 50, a batch of 128 users over 2,000 items,
/// one thread. The memory diagnoser must show 0 B: a training step allocates nothing (STYLE.md).
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmark
{
    private const int Items = 2_000, Users = 1_024, Length = 40;
    private SasRec.PlainSurface _surface = null!;
    private int[] _batch = [];

    [GlobalSetup]
    public void Setup()
    {
        Gemm.MaxDegreeOfParallelism = 1;
        var rng = new SplitMix64(7);
        var lists = new List<IReadOnlyList<int>>(Users);
        for (var u = 0; u < Users; u++)
        {
            var start = rng.Next(Items);
            lists.Add(Enumerable.Range(0, Length).Select(k => (start + k * (1 + u % 5) + rng.Next(3)) % Items).ToList());
        }
        var model = new SasRec(new SasRecOptions { Dim = 64, Blocks = 2, MaxLength = 50, BatchSize = 128, Dropout = 0.2f, MaxEpochs = 1, RefitWithValidation = false });
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Brand = "b" + i % 40 }).ToArray();
        model.Fit(new TrainingData(UserSequences.FromLists(lists, Items), catalog), new FitOptions { Seed = 1 });   // sizes the model's state
        _surface = new SasRec.PlainSurface(model);
        var examples = _surface.Begin(UserSequences.FromLists(lists, Items), seed: 1);
        _batch = examples.AsSpan(0, 128).ToArray();
        for (var i = 0; i < 5; i++) _surface.Step(_batch);
    }

    [Benchmark(Description = "SasRec training step, batch 128 × ≤50 tokens, 2,000 items")]
    public double Step() => _surface.Step(_batch).Loss;
}
