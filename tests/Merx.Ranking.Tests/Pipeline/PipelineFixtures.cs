using Merx.Core.Contracts;
using Merx.Core.Domain;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Tests.Pipeline;

/// <summary>A tiny shop: 4 categories × 10 items (cat c holds items 10c..10c+9), two brands per category.</summary>
internal static class TinyShop
{
    public const int Items = 40;

    public static CatalogIndex Catalog()
    {
        var ids = Enumerable.Range(0, Items).Select(i => "i" + i).ToArray();
        var items = ids.Select((id, i) => (Item?)new Item
        {
            Id = id, Title = $"{Color(i)} thing {i}", CategoryPath = ["Root" + i / 20, "Cat" + i / 10], Brand = "B" + (i / 5), Price = 10 + i,
        }).ToArray();
        return new CatalogIndex(ids, items);
    }

    private static string Color(int i) => (i % 3) switch { 0 => "red", 1 => "blue", _ => "green" };

    public static HistoryEvent[] History(long now, params int[] items) =>
        items.Select((it, k) => new HistoryEvent(it, EventKind.View, now - 100_000 + k)).ToArray();
}

/// <summary>Scores items of the category of the user's last item high (a stand-in for a sequence model).</summary>
internal sealed class LastCategoryModel : IRecommender
{
    public string Name => "last-cat";
    public int ItemCount => TinyShop.Items;
    public void Fit(TrainingData data, FitOptions options) { }
    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        var cat = history.Length == 0 ? -1 : history[^1] / 10;
        for (var i = 0; i < ItemCount; i++) scores[i] = (i / 10 == cat ? 10f : 0f) - i * 0.01f;
    }
    public ScoredItem[] SimilarItems(int item, int n) => [];
    public void Write(BinaryWriter writer) { }
}

/// <summary>Each item's neighbours are the next items (mod 40), most similar first.</summary>
internal sealed class NextItemsKnn : IRecommender
{
    public string Name => "next-knn";
    public int ItemCount => TinyShop.Items;
    public void Fit(TrainingData data, FitOptions options) { }
    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => scores.Clear();
    public ScoredItem[] SimilarItems(int item, int n) =>
        Enumerable.Range(1, Math.Min(n, ItemCount - 1)).Select(k => new ScoredItem((item + k) % ItemCount, 1f / k)).ToArray();
    public void Write(BinaryWriter writer) { }
}

internal static class Pipelines
{
    public static RankingPipeline Build(CatalogIndex catalog, IExplorationStage? exploration = null, RankingOptions? options = null)
    {
        var ids = catalog.Ids;
        var mapping = new IndexMapping(ids, catalog);
        var trending = new TrendingSource(Enumerable.Range(0, catalog.Count).Select(i => 100f - i).ToArray());
        ICandidateSource[] sources =
        [
            new ModelSource("transformer", new CatalogScorer(new LastCategoryModel(), mapping)),
            new NeighborSource(new CatalogScorer(new NextItemsKnn(), mapping)),
            trending,
        ];
        return new RankingPipeline(catalog, sources, trending, exploration, options);
    }
}
