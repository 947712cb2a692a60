using Merx.Core.Contracts;
using Merx.Core.Domain;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Pipeline;

/// <summary>
/// The large model: the best admissible items for the user's latest sequence, through the
/// snapshot's <see cref="CatalogScorer"/> (an exact pass over the catalog, the inverted file for
/// large catalogs, a small allowed set such as one category scored item by item). When the model
/// has user vectors, the user's vector is left in <see cref="CandidateContext.UserVector"/> for the
/// later stages.
/// </summary>
public sealed class ModelSource(string name, CatalogScorer scorer) : ICandidateSource
{
    public string Name => name;
    public bool Expensive => true;
    public CatalogScorer Scorer => scorer;

    public bool Applies(CandidateContext context) => context.RecentItems.Length > 0;

    public IReadOnlyList<SourceCandidate> Propose(CandidateContext context, int limit)
    {
        var history = scorer.ToModel(context.Request.History.Select(e => e.Item).ToArray());
        if (history.Length == 0) return [];
        ScoredItem[] top;
        if (scorer.Encoder is not null)
        {
            var user = scorer.EncodeModel(history);
            context.UserVector = user;
            top = scorer.Top(user, limit, context.Admissible, context.Request.Allowed);
        }
        else top = scorer.Top(history, limit, context.Admissible);
        var result = new SourceCandidate[top.Length];
        for (var i = 0; i < top.Length; i++) result[i] = new SourceCandidate(top[i].Item, top[i].Score);
        return result;
    }
}

/// <summary>
/// Item-to-item neighbours (item-kNN) of the user's latest items, the item on the page and the
/// cart, weighted by recency and by what the user did (a purchase counts more than a view);
/// each candidate remembers the item that contributed most, for "because you viewed …".
/// </summary>
public sealed class NeighborSource(CatalogScorer knn, int anchors = 10, int perAnchor = 50) : ICandidateSource
{
    public string Name => "itemknn";
    public bool Expensive => false;

    public bool Applies(CandidateContext context) =>
        context.RecentItems.Length > 0 || context.Request.ContextItem is not null || context.Request.CartItems.Count > 0;

    public IReadOnlyList<SourceCandidate> Propose(CandidateContext context, int limit)
    {
        var weights = new Dictionary<int, float>();
        var r = context.Request;
        var recent = context.RecentItems;
        var w = 1f;
        for (var i = recent.Length - 1; i >= Math.Max(0, recent.Length - anchors); i--, w *= 0.85f)
            weights[recent[i]] = w * (context.SessionItems.Contains(recent[i]) ? 1.5f : 1f);
        foreach (var e in r.History.TakeLast(anchors))
            if (weights.ContainsKey(e.Item) && e.Kind is EventKind.Purchase or EventKind.AddToCart) weights[e.Item] *= 1.3f;
        foreach (var c in r.CartItems) weights[c] = 2f;
        if (r.ContextItem is { } page) weights[page] = 3f;

        var acc = new Dictionary<int, (float Score, int Anchor, float Best)>();
        foreach (var (anchor, weight) in weights)
        {
            var m = knn.ToModel(anchor);
            if (m < 0) continue;
            foreach (var s in knn.Model.SimilarItems(m, perAnchor))
            {
                var c = knn.ToCatalog(s.Item);
                if (c < 0 || !context.Admissible(c)) continue;
                var contribution = weight * s.Score;
                acc.TryGetValue(c, out var cur);
                acc[c] = contribution > cur.Best ? (cur.Score + contribution, anchor, contribution) : (cur.Score + contribution, cur.Anchor, cur.Best);
            }
        }
        return acc.OrderByDescending(p => p.Value.Score).ThenBy(p => p.Key).Take(limit)
            .Select(p => new SourceCandidate(p.Key, p.Value.Score, p.Value.Anchor)).ToArray();
    }
}

/// <summary>What is popular now (time-decayed counts): the cold-start answer and a safety net. Precomputed order, so a request walks a list.</summary>
public sealed class TrendingSource : ICandidateSource
{
    private readonly int[] _order;      // catalog indices, most popular first
    private readonly float[] _score;    // (catalog items)

    /// <param name="scores">Popularity per catalog item (0 for items the popularity model does not know).</param>
    public TrendingSource(float[] scores)
    {
        _score = scores;
        _order = Enumerable.Range(0, scores.Length).Where(i => scores[i] > 0).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
    }

    public string Name => "trending";
    public bool Expensive => false;
    public float ScoreOf(int item) => (uint)item < (uint)_score.Length ? _score[item] : 0f;
    public bool Applies(CandidateContext context) => true;

    public IReadOnlyList<SourceCandidate> Propose(CandidateContext context, int limit) => Top(context.Admissible, limit);

    /// <summary>The most popular admissible items.</summary>
    public IReadOnlyList<SourceCandidate> Top(Func<int, bool> admissible, int limit)
    {
        var result = new List<SourceCandidate>(limit);
        foreach (var i in _order)
        {
            if (result.Count == limit) break;
            if (admissible(i)) result.Add(new SourceCandidate(i, _score[i]));
        }
        return result;
    }
}

/// <summary>
/// New items (created within <see cref="MaxAgeDays"/>, or unknown to the large model) placed by
/// content: how well their category, brand, shop and price band match the user's recent items.
/// A new item has no interactions, so this is how it reaches anyone.
/// </summary>
public sealed class NewItemSource : ICandidateSource
{
    private readonly int[] _newItems;

    /// <param name="unknownToModel">Catalog items the large model has no vector for.</param>
    public NewItemSource(CatalogIndex catalog, Func<int, bool> unknownToModel, long now, double maxAgeDays = 30, int maxItems = 5000)
    {
        MaxAgeDays = maxAgeDays;
        var cutoff = now - (long)(maxAgeDays * 86400);
        _newItems = Enumerable.Range(0, catalog.Count)
            .Where(i => catalog.Item(i) is not null && (catalog.CreatedAt(i) >= cutoff || unknownToModel(i)))
            .OrderByDescending(catalog.CreatedAt).ThenBy(i => i).Take(maxItems).ToArray();
    }

    public double MaxAgeDays { get; }
    /// <summary>A new item is proposed to a user only when it matches one of their recent items at least this well (1 = same leaf category).</summary>
    public float MinMatch { get; init; } = 1f;
    public int Count => _newItems.Length;
    public string Name => "new";
    public bool Expensive => false;
    public bool Applies(CandidateContext context) => _newItems.Length > 0;

    public IReadOnlyList<SourceCandidate> Propose(CandidateContext context, int limit)
    {
        var cat = context.Catalog;
        var recent = context.RecentItems.TakeLast(20).ToArray();
        var result = new List<SourceCandidate>();
        foreach (var i in _newItems)
        {
            if (!context.Admissible(i)) continue;
            float score = 0f, best = 0f; var anchor = -1; var w = 1f;
            for (var h = recent.Length - 1; h >= 0; h--, w *= 0.9f)
            {
                var s = w * Match(cat, i, recent[h]);
                score += s;
                if (s > best) { best = s; anchor = recent[h]; }
            }
            if (recent.Length == 0 || best >= MinMatch) result.Add(new SourceCandidate(i, recent.Length == 0 ? 1f / (1 + result.Count) : score, anchor));
        }
        return result.OrderByDescending(c => c.Score).ThenBy(c => c.Item).Take(limit).ToArray();
    }

    /// <summary>Attribute overlap in [0, 2.4]: leaf category 1, top category 0.3, brand 0.7, shop 0.2, price band 0.2.</summary>
    internal static float Match(CatalogIndex cat, int a, int b)
    {
        var s = 0f;
        if (cat.Category(a) >= 0 && cat.Category(a) == cat.Category(b)) s += 1f;
        if (cat.TopCategory(a) >= 0 && cat.TopCategory(a) == cat.TopCategory(b)) s += 0.3f;
        if (cat.Brand(a) >= 0 && cat.Brand(a) == cat.Brand(b)) s += 0.7f;
        if (cat.Shop(a) >= 0 && cat.Shop(a) == cat.Shop(b)) s += 0.2f;
        if (cat.PriceBand(a) >= 0 && cat.PriceBand(a) == cat.PriceBand(b)) s += 0.2f;
        return s;
    }
}
