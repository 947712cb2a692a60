using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Synthetic;
using Merx.Models.Classic;
using Merx.Models.Sequential;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Tests.Scoring;

/// <summary>
/// A small generated shop with the production models trained on it (issue 16: the pipeline's
/// user-vector, inverted-file and bandit paths run against real models, not stand-ins): a tiny
/// Transformer trained for a fixed number of epochs (never a time budget, so the model does not
/// depend on machine load) and item-kNN. The serving catalog lists the items in the reverse of the
/// models' order and holds items no model saw, so every answer passes through the index mapping.
/// Built once per test run (xUnit class fixture).
/// </summary>
public sealed class GeneratedShop
{
    public GeneratedShop()
    {
        var generator = new ShopGenerator(new ShopGeneratorOptions { Users = 160, Items = 150, Events = 5_000, Seed = 5, RootCategories = 4, Branching = 3 });
        var items = generator.Items().ToArray();
        var events = generator.Events().Where(e => e.Item is not null && e.Kind is not (EventKind.Impression or EventKind.Search)).ToArray();
        // Model space: the items with events, by id; catalog space: every item, in reverse order.
        ModelIds = events.Select(e => e.Item!).Distinct().Order(StringComparer.Ordinal).ToArray();
        var modelIndex = ModelIds.Select((id, j) => (id, j)).ToDictionary(p => p.id, p => p.j);
        var byId = items.ToDictionary(i => i.Id);
        var catalogIds = items.Select(i => i.Id).Reverse().ToArray();
        Catalog = new CatalogIndex(catalogIds, catalogIds.Select(id => (Item?)byId[id]).ToArray());

        var users = events.GroupBy(e => e.User).OrderBy(g => g.Key, StringComparer.Ordinal).ToArray();
        Histories = users.Select(g => g.OrderBy(e => e.Timestamp).Select(e => Catalog.IndexOf(e.Item!)).ToArray()).ToArray();
        var lists = users.Select(g => (IReadOnlyList<int>)g.OrderBy(e => e.Timestamp).Select(e => modelIndex[e.Item!]).ToList()).ToList();
        var train = new TrainingData(UserSequences.FromLists(lists, ModelIds.Length), ModelIds.Select(id => (Item?)byId[id]).ToArray());

        Transformer = new SasRec(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 12, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 3, RefitWithValidation = false });
        Transformer.Fit(train, new FitOptions { Seed = 3 });
        Knn = new ItemKnn(neighbors: 30);
        Knn.Fit(train, new FitOptions { Seed = 3 });
    }

    public CatalogIndex Catalog { get; }
    /// <summary>The models' item ids in their index order.</summary>
    public string[] ModelIds { get; }
    /// <summary>Each generated user's items (catalog indices), oldest first.</summary>
    public int[][] Histories { get; }
    public SasRec Transformer { get; }
    public ItemKnn Knn { get; }

    /// <summary>The Transformer seen through the catalog, optionally with an inverted file of <paramref name="clusters"/> clusters.</summary>
    public CatalogScorer Scorer(int clusters = 0, int probes = 32) =>
        new(Transformer, ModelIds, Catalog, clusters > 0 ? Merx.Ranking.Retrieval.IvfIndex.Build(Transformer.ItemVectors.Floats, Transformer.Dimension, clusters) : null, probes);

    /// <summary>
    /// The Transformer (or its int8 inference copy, whose only item table is int8) seen through the catalog, with an item
    /// index over its vectors built by <paramref name="build"/> (none when null).
    /// </summary>
    public CatalogScorer Scorer(Func<Merx.Numerics.VectorTable, Merx.Ranking.Retrieval.IItemIndex>? build, bool int8 = false)
    {
        var model = int8 ? Int8Transformer : Transformer;
        return new(model, ModelIds, Catalog, build?.Invoke(model.ItemVectors));
    }

    /// <summary>The Transformer's int8 inference copy.</summary>
    public SasRec Int8Transformer => _int8 ??= Transformer.ToInt8();
    private SasRec? _int8;

    public CatalogScorer KnnScorer() => new(Knn, ModelIds, Catalog);

    /// <summary>A request of user <paramref name="u"/>: their history as views, newest 1 s before now.</summary>
    public RankingRequest Request(int u, int n = 10, ulong seed = 1, bool overloaded = false)
    {
        const long now = 1_800_000_000;
        var h = Histories[u];
        return new RankingRequest
        {
            UserKey = "u" + u, N = n, Now = now, Seed = seed, Overloaded = overloaded,
            History = h.Select((c, k) => new HistoryEvent(c, EventKind.View, now - h.Length + k)).ToArray(),
        };
    }

    /// <summary>
    /// The reference answer, computed without the scorer: the model's own score pass over its items,
    /// mapped to catalog indices by id, filtered, sorted best first.
    /// </summary>
    public (int Item, float Score)[] Reference(IRecommender model, int[] catalogHistory, int k, Func<int, bool> admissible)
    {
        var history = catalogHistory.Select(c => Array.IndexOf(ModelIds, Catalog.Id(c))).Where(j => j >= 0).ToArray();
        var scores = new float[model.ItemCount];
        model.Score(-1, history, scores);
        return Enumerable.Range(0, ModelIds.Length)
            .Select(j => (Item: Catalog.IndexOf(ModelIds[j]), Score: scores[j]))
            .Where(p => admissible(p.Item)).OrderByDescending(p => p.Score).ThenBy(p => p.Item).Take(k).ToArray();
    }
}
