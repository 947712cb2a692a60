using BenchmarkDotNet.Attributes;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Synthetic;
using Merx.Numerics;
using Merx.Ranking.Pipeline;

namespace Merx.Benchmarks.Micro;

/// <summary>
/// What placing new items by their text costs a request (issue #19): a ranking pipeline of the new-item source and
/// trending for a user with 20 recent items (n = 10, so 100 candidates per source), as many new items as the source
/// keeps (5,000), with the catalog's 384-d text vectors (random unit vectors: the cost does not depend on what they
/// say) and without; the difference is the text's cost. A generated shop of 20,000 items (seed 5), the last 5,000
/// created within the source's 30 days. One thread.
/// </summary>
[MemoryDiagnoser]
public class NewItemSourceBenchmark
{
    private RankingPipeline _attributes = null!, _text = null!;
    private RankingRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        Gemm.MaxDegreeOfParallelism = 1;
        const long now = 1_800_000_000;
        var generated = new ShopGenerator(new ShopGeneratorOptions { Users = 100, Items = 20_000, Events = 1_000, Seed = 5 }).Items().ToArray();
        var items = generated.Select((item, i) => (Item?)(item with { CreatedAt = DateTimeOffset.FromUnixTimeSeconds(i >= 15_000 ? now - 86_400 : now - 400 * 86_400) })).ToArray();
        var catalog = new CatalogIndex(items.Select(i => i!.Id).ToArray(), items);
        var random = new Random(5);
        var rows = new float[]?[items.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var v = new float[384];
            for (var j = 0; j < v.Length; j++) v[j] = (float)(random.NextDouble() - 0.5);
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            rows[i] = v.Select(x => x / norm).ToArray();
        }
        var text = PretrainedVectors.FromRows("random", 384, rows);
        var trending = new TrendingSource(Enumerable.Range(0, items.Length).Select(i => (float)random.NextDouble()).ToArray());
        _attributes = new RankingPipeline(catalog, [new NewItemSource(catalog, _ => false, now), trending], trending);
        var withText = new NewItemSource(catalog, _ => false, now, text: () => text);
        if (!withText.UsesText) throw new InvalidOperationException("the text vectors were not taken");
        _text = new RankingPipeline(catalog, [withText, trending], trending);
        _request = new RankingRequest
        {
            UserKey = "bench-user", N = 10, Now = now, Seed = 1,
            History = Enumerable.Range(0, 20).Select(k => new HistoryEvent(random.Next(15_000), EventKind.View, now - 600 + k * 10)).ToArray(),
        };
    }

    [Benchmark(Baseline = true, Description = "new items placed by attributes (5,000 new items, 20 recent events)")]
    public int Attributes() => _attributes.Run(_request).Items.Count;

    [Benchmark(Description = "new items placed by attributes and 384-d text vectors")]
    public int WithText() => _text.Run(_request).Items.Count;
}
