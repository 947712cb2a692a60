using BenchmarkDotNet.Attributes;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Synthetic;
using Merx.Models.Classic;
using Merx.Models.Sequential;
using Merx.Numerics;
using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Benchmarks.Micro;

/// <summary>
/// One recommendation request through the ranking pipeline as served (issue 22): the Transformer source
/// (encode the history, top k over the catalog), item-kNN around the recent items, trending, fusion, filters,
/// MMR diversity, the LinUCB exploration stage and explanations, for a user with 30 events, on a generated
/// shop (3,000 items, seed 5) with models trained for a fixed 2 epochs. One thread.
/// </summary>
[MemoryDiagnoser]
public class RankingRequestBenchmark
{
    private RankingPipeline _pipeline = null!;
    private RankingRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        Gemm.MaxDegreeOfParallelism = 1;
        var generator = new ShopGenerator(new ShopGeneratorOptions { Users = 2_000, Items = 3_000, Events = 60_000, Seed = 5 });
        var items = generator.Items().ToArray();
        var events = generator.Events().Where(e => e.Item is not null && e.Kind is not (EventKind.Impression or EventKind.Search)).ToArray();
        var ids = items.Select(i => i.Id).ToArray();
        var index = ids.Select((id, j) => (id, j)).ToDictionary(p => p.id, p => p.j);
        var catalog = new CatalogIndex(ids, items.Select(i => (Item?)i).ToArray());
        var users = events.GroupBy(e => e.User).Select(g => g.OrderBy(e => e.Timestamp).Select(e => index[e.Item!]).ToArray()).ToArray();
        var train = new TrainingData(UserSequences.FromLists(users.Select(u => (IReadOnlyList<int>)u).ToList(), ids.Length), items.Select(i => (Item?)i).ToArray());
        var transformer = new SasRec(new SasRecOptions { Dim = 64, Blocks = 2, MaxLength = 50, MaxEpochs = 2, RefitWithValidation = false });
        transformer.Fit(train, new FitOptions { Seed = 3 });
        var knn = new ItemKnn(neighbors: 50);
        knn.Fit(train, new FitOptions { Seed = 3 });
        var scorer = new CatalogScorer(transformer, ids, catalog);
        var popularity = new float[ids.Length];
        foreach (var u in users) foreach (var i in u) popularity[i]++;
        var trending = new TrendingSource(popularity);
        var exploration = new BanditExploration(BanditPolicies.CreateOver("linucb", new ItemVectorSlot(scorer.Dimension)), scorer);
        _pipeline = new RankingPipeline(catalog, [new ModelSource("transformer", scorer), new NeighborSource(new CatalogScorer(knn, ids, catalog)), trending], trending, exploration);
        const long now = 1_800_000_000;
        var history = users.First(u => u.Length >= 30)[..30];
        _request = new RankingRequest
        {
            UserKey = "bench-user", N = 10, Now = now, Seed = 1,
            History = history.Select((c, k) => new HistoryEvent(c, EventKind.View, now - 600 + k * 10)).ToArray(),
        };
        _pipeline.Run(_request);
    }

    [Benchmark(Description = "ranking pipeline, one request (n = 10, 30 events of history, 3,000 items)")]
    public int Request() => _pipeline.Run(_request).Items.Count;
}
