using System.Buffers;
using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Numerics;
using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Retrieval;

namespace Merx.Ranking.Scoring;

/// <summary>
/// One served model seen in catalog index space, built once per serving snapshot: the one place
/// that maps the model's item indices to the catalog's, encodes a history into a user vector and
/// scores user · item vectors — for recommendations (<see cref="ModelSource"/>), search re-ranking,
/// audiences, similar items and the bandit stage. The item vectors are the model's own
/// ((ItemCount, d), never copied); for a large catalog an <see cref="IItemIndex"/> over them (USearch's
/// HNSW graph by default, <see cref="HnswIndex"/>; or the int8 scan or the inverted file) answers top-k
/// queries without a full float pass, the exact pass staying as the reference. Models that are not user encoders
/// (item-kNN, popularity) are scored through <see cref="IRecommender.Score"/>. Immutable, thread-safe.
/// </summary>
public sealed class CatalogScorer : IItemVectors
{
    /// <summary>Allowed sets up to this size are scored exactly item by item.</summary>
    public const int ExactAllowedLimit = 20_000;

    private readonly IndexMapping _mapping;
    private readonly IReadOnlyDictionary<int, int> _coldKeys;

    /// <param name="index">Index over the encoder's item vectors (model index space), or null for exact passes.</param>
    /// <param name="probes">Clusters scanned per top-k query when <paramref name="index"/> is an inverted file.</param>
    /// <param name="coldKeys">
    /// Index keys at or above the model's item count → catalog item: items the model was not trained on
    /// that the index holds by a vector of their own (<see cref="IColdItemEncoder"/>, added while serving);
    /// searches through the index can return them, the exact pass cannot.
    /// </param>
    public CatalogScorer(IRecommender model, IndexMapping mapping, IItemIndex? index = null, int probes = 32, IReadOnlyDictionary<int, int>? coldKeys = null)
    {
        _coldKeys = coldKeys ?? new Dictionary<int, int>();
        if (mapping.ModelToCatalog.Length != model.ItemCount) throw new ArgumentException($"the mapping has {mapping.ModelToCatalog.Length} model items, the model {model.ItemCount}", nameof(mapping));
        if (index is not null && model is not IUserEncoder) throw new ArgumentException("an item index needs a model with item vectors", nameof(index));
        Model = model; _mapping = mapping; Index = index; Probes = probes;
        Encoder = model as IUserEncoder;
    }

    /// <summary>The model over a catalog, its item ids (the model's index order) mapped by id.</summary>
    public CatalogScorer(IRecommender model, IReadOnlyList<string> modelIds, CatalogIndex catalog, IItemIndex? index = null, int probes = 32, IReadOnlyDictionary<int, int>? coldKeys = null)
        : this(model, new IndexMapping(modelIds, catalog), index, probes, coldKeys) { }

    /// <summary>The model item ↔ catalog item mapping.</summary>
    public IndexMapping Mapping => _mapping;

    public IRecommender Model { get; }
    /// <summary>The model as a user encoder (scores = user vector · item vectors), null when it is not one.</summary>
    public IUserEncoder? Encoder { get; }
    /// <summary>Length d of user and item vectors; 0 when the model has none.</summary>
    public int Dimension => Encoder?.Dimension ?? 0;
    public IItemIndex? Index { get; }
    public int Probes { get; }
    /// <summary>Number of catalog items the scorer addresses.</summary>
    public int CatalogCount => _mapping.CatalogToModel.Length;

    /// <summary>Whether the model has this catalog item (a vector or a score for it).</summary>
    public bool Knows(int catalogItem) => (uint)catalogItem < (uint)CatalogCount && _mapping.CatalogToModel[catalogItem] >= 0;
    /// <summary>The catalog index of a model item, −1 when the catalog lacks it.</summary>
    public int ToCatalog(int modelItem) => _mapping.ModelToCatalog[modelItem];
    /// <summary>The model index of a catalog item, −1 when the model never saw it.</summary>
    public int ToModel(int catalogItem) => (uint)catalogItem < (uint)CatalogCount ? _mapping.CatalogToModel[catalogItem] : -1;
    /// <summary>A catalog-space history (oldest first) as the model's indices, items it does not know dropped.</summary>
    public int[] ToModel(ReadOnlySpan<int> catalogItems) => _mapping.ToModel(catalogItems);

    /// <summary>
    /// (d) the model's vector of a catalog item (its own row, or an int8 row dequantized into <paramref name="scratch"/>);
    /// empty for items it never saw or a model without vectors.
    /// </summary>
    public ReadOnlySpan<float> ItemVector(int catalogItem, Span<float> scratch)
    {
        if (Encoder is not { } enc || ToModel(catalogItem) is not (var j and >= 0)) return [];
        return enc.ItemVectors.Row(j, scratch);
    }

    ReadOnlySpan<float> IItemVectors.Row(int item, Span<float> scratch) => ItemVector(item, scratch);

    /// <summary>The user's vector from a catalog-space history, oldest first (zeros when no item is known to the model).</summary>
    public UserVector Encode(ReadOnlySpan<int> catalogHistory) => EncodeModel(ToModel(catalogHistory));

    /// <summary>The user's vector from a history already in model indices (<see cref="ToModel(ReadOnlySpan{int})"/>).</summary>
    public UserVector EncodeModel(ReadOnlySpan<int> modelHistory)
    {
        var enc = Encoder ?? throw new InvalidOperationException($"{Model.Name} has no user vectors");
        var user = new float[enc.Dimension];
        enc.EncodeUser(-1, modelHistory, user);
        return new UserVector(this, user);
    }

    /// <summary>user · vᵢ for one catalog item; NaN for an item the model never saw.</summary>
    public float Score(UserVector user, int catalogItem)
    {
        var u = Own(user);
        return Encoder is { } enc && ToModel(catalogItem) is var j and >= 0 ? enc.ItemVectors.Dot(j, u) : float.NaN;
    }

    /// <summary>
    /// The scores of <paramref name="items"/> (catalog indices) for a history in model indices: user ·
    /// item vectors when the model has them, else its full score pass; NaN for items the model does not know.
    /// </summary>
    /// <param name="scores">(items.Count) output.</param>
    public void Score(int[] modelHistory, IReadOnlyList<int> items, Span<float> scores)
    {
        if (Encoder is not null)
        {
            var user = EncodeModel(modelHistory);
            for (var k = 0; k < items.Count; k++) scores[k] = Score(user, items[k]);
            return;
        }
        var n = Model.ItemCount;
        var all = ArrayPool<float>.Shared.Rent(n);
        try
        {
            Model.Score(-1, modelHistory, all.AsSpan(0, n));
            for (var k = 0; k < items.Count; k++) scores[k] = ToModel(items[k]) is var j and >= 0 ? all[j] : float.NaN;
        }
        finally { ArrayPool<float>.Shared.Return(all); }
    }

    /// <summary>
    /// The best <paramref name="k"/> admissible catalog items for a user vector, best first: exactly
    /// over <paramref name="allowed"/> when it is small (≤ <see cref="ExactAllowedLimit"/>), else
    /// through the item index when there is one (unless <paramref name="exact"/>), else one exact
    /// pass over all item vectors. Admissibility is checked only for items that would enter the top k.
    /// </summary>
    /// <param name="admissible">Catalog-space filter (stock, allowed set, exclusions, seen).</param>
    /// <param name="probes">Clusters to scan when the index is an inverted file; null for <see cref="Probes"/>.</param>
    public ScoredItem[] Top(UserVector user, int k, Func<int, bool> admissible, IReadOnlySet<int>? allowed = null, bool exact = false, int? probes = null)
    {
        var u = Own(user);
        if (allowed is { Count: <= ExactAllowedLimit })
        {
            var vectors = Encoder!.ItemVectors;
            var scored = new List<ScoredItem>(allowed.Count);
            foreach (var c in allowed)
                if (ToModel(c) is var j and >= 0 && admissible(c))
                    scored.Add(new ScoredItem(c, vectors.Dot(j, u)));
            return scored.OrderByDescending(s => s.Score).ThenBy(s => s.Item).Take(k).ToArray();
        }
        var toCatalog = _mapping.ModelToCatalog;
        if (Index is { } index && !exact)
        {
            Func<int, bool> known = j => (uint)j < (uint)toCatalog.Length ? toCatalog[j] >= 0 && admissible(toCatalog[j]) : _coldKeys.TryGetValue(j, out var c) && admissible(c);
            var found = index is IvfIndex ivf ? ivf.Search(u, k, probes ?? Probes, known) : index.Search(u, k, known);
            return ToCatalog(found);
        }
        return TopOfPass(k, admissible, u, []);
    }

    /// <summary>
    /// The best <paramref name="k"/> admissible catalog items for a model-space history by the
    /// model's own score pass (models without user vectors).
    /// </summary>
    public ScoredItem[] Top(int[] modelHistory, int k, Func<int, bool> admissible) => TopOfPass(k, admissible, null, modelHistory);

    // One exact pass: user · every item vector when a user vector is given, else the model's scores for the history.
    private ScoredItem[] TopOfPass(int k, Func<int, bool> admissible, float[]? user, int[] modelHistory)
    {
        var n = Model.ItemCount;
        var toCatalog = _mapping.ModelToCatalog;
        var scores = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var span = scores.AsSpan(0, n);
            if (user is not null) Encoder!.ItemVectors.Dots(user, span);
            else Model.Score(-1, modelHistory, span);
            // Admissibility (stock, filters, already seen) only for items that would enter the top k.
            var best = new TopKHeap(Math.Min(k, n));
            for (var j = 0; j < n; j++)
                if (best.Admits(j, span[j]) && toCatalog[j] >= 0 && admissible(toCatalog[j])) best.Offer(j, span[j]);
            return ToCatalog(best.ToSortedArray());
        }
        finally { ArrayPool<float>.Shared.Return(scores); }
    }

    /// <summary>The model's most similar items to a catalog item, as catalog items (those the catalog lacks dropped), best first.</summary>
    /// <param name="n">How many to ask the model for (fewer come back when some are not in the catalog).</param>
    public ScoredItem[] Similar(int catalogItem, int n)
    {
        if (ToModel(catalogItem) is not (var j and >= 0)) return [];
        var found = Model.SimilarItems(j, n);
        var result = new List<ScoredItem>(found.Length);
        foreach (var s in found)
            if (ToCatalog(s.Item) is var c and >= 0) result.Add(new ScoredItem(c, s.Score));
        return result.ToArray();
    }

    /// <summary>(d) the mean vector of the catalog items the model knows, in their order; null when it knows none or has no vectors.</summary>
    public float[]? MeanVector(IEnumerable<int> catalogItems)
    {
        if (Encoder is not { } enc) return null;
        var known = catalogItems.Where(Knows).ToArray();
        if (known.Length == 0) return null;
        var mean = new float[enc.Dimension];
        Span<float> scratch = stackalloc float[enc.Dimension];
        foreach (var c in known)
        {
            var v = ItemVector(c, scratch);
            for (var t = 0; t < mean.Length; t++) mean[t] += v[t] / known.Length;
        }
        return mean;
    }

    /// <summary>Model-space results (and cold keys) mapped to catalog indices in place (every item was checked to have one).</summary>
    private ScoredItem[] ToCatalog(ScoredItem[] found)
    {
        var toCatalog = _mapping.ModelToCatalog;
        for (var i = 0; i < found.Length; i++) found[i] = found[i] with { Item = found[i].Item < toCatalog.Length ? toCatalog[found[i].Item] : _coldKeys[found[i].Item] };
        return found;
    }

    private float[] Own(UserVector user) =>
        user.From(this) ? user.Values : throw new ArgumentException("the user vector was made by another scorer (another model or catalog)", nameof(user));
}
