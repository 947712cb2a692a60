using Merx.Core.Contracts;
using Merx.Models.Classic;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;
using Merx.Storage;

namespace Merx.Service.Serving;

/// <summary>
/// Everything a request needs, immutable once built: the serving catalog, the loaded model
/// versions mapped onto it, and the ranking pipeline over them. The <see cref="ModelHost"/> swaps
/// in a new snapshot atomically when a model is published or the catalog changes; requests in
/// flight finish on the snapshot they started with.
/// </summary>
public sealed class ServingSnapshot
{
    private readonly Lazy<SearchIndex> _search;

    private readonly Lazy<Core.Data.PretrainedVectors?> _textVectors;

    private ServingSnapshot(CatalogIndex catalog, LoadedModel? primary, LoadedModel? neighbors, LoadedModel? trending, RankingPipeline pipeline, NewItemSource newItems, long catalogStamp, long storeModelVersion, Lazy<Core.Data.PretrainedVectors?> textVectors)
    {
        _textVectors = textVectors;
        StoreModelVersion = storeModelVersion;
        Catalog = catalog; Primary = primary; Neighbors = neighbors; TrendingModel = trending; Pipeline = pipeline; NewItems = newItems; CatalogStamp = catalogStamp;
        _search = new Lazy<SearchIndex>(() => new SearchIndex(catalog), LazyThreadSafetyMode.ExecutionAndPublication);
        BuiltAt = DateTimeOffset.UtcNow;
    }

    public CatalogIndex Catalog { get; }
    /// <summary>The large model (the Transformer when published); null when no model is published.</summary>
    public LoadedModel? Primary { get; }
    public LoadedModel? Neighbors { get; }
    public LoadedModel? TrendingModel { get; }
    public RankingPipeline Pipeline { get; }
    public NewItemSource NewItems { get; }
    public SearchIndex Search => _search.Value;
    /// <summary>The catalog items' stored text vectors (aligned with catalog indices; items not yet encoded have none), read on first use; null when none is stored.</summary>
    public Core.Data.PretrainedVectors? TextVectors => _textVectors.Value;
    /// <summary>Catalog change counter the snapshot was built at.</summary>
    public long CatalogStamp { get; }
    public DateTimeOffset BuiltAt { get; }
    /// <summary>The store's newest model version when this snapshot was built; a newer one triggers a rebuild.</summary>
    public long StoreModelVersion { get; }
    public bool Ready => Primary is not null;
    /// <summary>The large model's catalog-space scorer (null before a model is published): recommendations, search, audiences, similar items and the bandit stage score through it.</summary>
    public CatalogScorer? Scorer => Primary?.Scorer;

    public IEnumerable<LoadedModel> Models => new[] { Primary, Neighbors, TrendingModel }.Where(m => m is not null).Distinct()!;

    /// <summary>Loads the configured models' newest versions (reusing those of <paramref name="previous"/> when unchanged) over the store's current catalog.</summary>
    public static ServingSnapshot Build(ICatalogStore catalogStore, IModelRegistry store, MerxServerOptions options, ServingSnapshot? previous, long catalogStamp, Func<LoadedModel?, IExplorationStage>? exploration = null)
    {
        var storeVersion = store.LatestModel()?.Version ?? 0;
        var catalog = ReadCatalog(catalogStore, previous?.Catalog);
        // The stored text vectors, read at most once per snapshot and shared: the large model's item index (new items
        // placed by their text), the new-item source (only when there are new items), search and tag suggestion.
        var textVectors = new Lazy<Core.Data.PretrainedVectors?>(() => Merx.Service.Catalog.ItemTextVectors.Stored(catalogStore, catalog), LazyThreadSafetyMode.ExecutionAndPublication);
        var primaryVersion = store.LatestModel(options.PrimaryModel) ?? LatestScoringModel(store, options);
        var primary = primaryVersion is null ? null : LoadedModel.Load(store, primaryVersion, catalog, previous?.Primary, ItemIndexes.Settings(options),
            previous?.Catalog, encoderId => Merx.Service.Catalog.ItemSideInformation.ForModel(catalogStore, encoderId, catalog, () => textVectors.Value));
        var neighborVersion = store.LatestModel(options.NeighborModel);
        var neighbors = neighborVersion is null ? null : LoadedModel.Load(store, neighborVersion, catalog, previous?.Neighbors);
        var trendingVersion = store.LatestModel(options.TrendingModel) ?? store.LatestModel(Popularity.PopName);
        var trending = trendingVersion is null ? null : LoadedModel.Load(store, trendingVersion, catalog, previous?.TrendingModel);

        var trendingScores = new float[catalog.Count];
        if (trending?.Model is Popularity pop)
            for (var j = 0; j < pop.ItemCount; j++)
                if (trending.Scorer.ToCatalog(j) is var c and >= 0) trendingScores[c] = pop.ItemScores[j];
        var trendingSource = new TrendingSource(trendingScores);
        var scorer = primary?.Scorer;
        var newItems = new NewItemSource(catalog, i => scorer is null || !scorer.Knows(i), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), text: () => textVectors.Value);

        var sources = new List<ICandidateSource>();
        if (scorer is not null) sources.Add(new ModelSource("transformer", scorer));
        if (neighbors is not null) sources.Add(new NeighborSource(neighbors.Scorer));
        sources.Add(trendingSource);
        sources.Add(newItems);
        var pipeline = new RankingPipeline(catalog, sources, trendingSource, exploration?.Invoke(primary) ?? new DiscoveryExploration());
        return new ServingSnapshot(catalog, primary, neighbors, trending, pipeline, newItems, catalogStamp, storeVersion, textVectors);
    }

    /// <summary>
    /// The catalog keeps a few columns of each item; the full entries stay in the store (read for a search index, text vectors,
    /// tags). A method of its own so that its builder is let go: captured beside the snapshot's closures (the text vectors'
    /// loader, the new-item source's filter), it held its growing lists, 0.6 GB at 10M items, for the snapshot's life.
    /// </summary>
    private static CatalogIndex ReadCatalog(ICatalogStore catalogStore, CatalogIndex? before)
    {
        var builder = new CatalogIndex.Builder(new StoreCatalogEntries(catalogStore));
        if (before is not null) catalogStore.ScanItems((id, item) => builder.Add(before.SharedId(id), item));
        else catalogStore.ScanItems(builder.Add);
        return builder.Build();
    }

    /// <summary>The newest published model other than the neighbour and popularity ones (they do not model a user's sequence).</summary>
    private static ModelVersion? LatestScoringModel(IModelRegistry store, MerxServerOptions options)
    {
        var all = store.ListModels();
        return all.LastOrDefault(v => v.Name != options.NeighborModel && v.Name != options.TrendingModel && v.Name is not Popularity.PopName and not Popularity.TrendingName)
            ?? all.LastOrDefault();
    }

    /// <summary>
    /// Items similar to a catalog item: item-kNN neighbours (co-occurrence), then the large model's
    /// item vectors (cosine), then catalog attributes (for new items); each with its reason.
    /// </summary>
    public IReadOnlyList<(int Item, float Score, string Reason)> SimilarItems(int item, int n, Func<int, bool> admissible)
    {
        var result = new List<(int, float, string)>();
        var seen = new HashSet<int> { item };
        void Take(LoadedModel? m, string reason)
        {
            if (m is null || result.Count >= n) return;
            foreach (var s in m.Scorer.Similar(item, 4 * n + 10))
            {
                if (!admissible(s.Item) || !seen.Add(s.Item)) continue;
                result.Add((s.Item, s.Score, reason));
                if (result.Count >= n) return;
            }
        }
        Take(Neighbors, $"often viewed together with {Catalog.Label(item)}");
        Take(Primary, $"similar to {Catalog.Label(item)} in what shoppers go on to look at");
        if (result.Count < n)
        {
            var byAttributes = Enumerable.Range(0, Catalog.Count)
                .Where(c => !seen.Contains(c) && admissible(c))
                .Select(c => (Item: c, Score: Diversity.Similarity(Catalog, item, c)))
                .Where(p => p.Score > 0).OrderByDescending(p => p.Score).ThenBy(p => p.Item).Take(n - result.Count);
            foreach (var (c, s) in byAttributes)
            {
                var brand = Catalog.Brand(c);
                result.Add((c, s, brand >= 0 && brand == Catalog.Brand(item) ? $"same brand as {Catalog.Label(item)}" : $"same kind of item as {Catalog.Label(item)}"));
            }
        }
        return result;
    }
}

/// <summary>A store's catalog as the full entries behind a serving <see cref="CatalogIndex"/>.</summary>
internal sealed class StoreCatalogEntries(ICatalogStore store) : ICatalogEntries
{
    public Core.Domain.Item? Get(string id) => store.GetItem(id);
    public void ForEach(Action<string, Core.Domain.Item> visit) => store.ScanItems((id, item) => { if (item is not null) visit(id, item); });
}
