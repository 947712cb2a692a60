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

        // Sized for every neighbour up front (growing it step by step was 15 % of a request's allocations at 1M items), and
        // the thread's own from one request to the next.
        var acc = ThreadScratch<int, (float Score, int Anchor, float Best)>.Take(weights.Count * perAnchor);
        foreach (var (anchor, weight) in weights)
        {
            var m = knn.ToModel(anchor);
            if (m < 0) continue;
            foreach (var s in knn.Model.SimilarItems(m, perAnchor))
            {
                var c = knn.ToCatalog(s.Item);
                if (c < 0) continue;
                var contribution = weight * s.Score;
                acc.TryGetValue(c, out var cur);
                acc[c] = contribution > cur.Best ? (cur.Score + contribution, anchor, contribution) : (cur.Score + contribution, cur.Anchor, cur.Best);
            }
        }
        // Admissibility (stock, filters, already seen: random reads of the catalog) only for the items that make the list, best
        // first: an inadmissible item's entry takes nothing from the others', so the list is the same as checking every neighbour.
        var best = new List<SourceCandidate>(Math.Min(limit, acc.Count));
        foreach (var (_, c) in ScoreOrder.Keys(acc, v => v.Score))
        {
            if (best.Count == limit) break;
            if (!context.Admissible(c)) continue;
            var v = acc[c];
            best.Add(new SourceCandidate(c, v.Score, v.Anchor));
        }
        ThreadScratch<int, (float Score, int Anchor, float Best)>.Return(acc);
        return best;
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
/// content: how well their category, brand, shop and price band match the user's recent items, and,
/// when the catalog has pre-trained text vectors (issue #19), how close their text is to those items'
/// text, so a new item whose attributes match nothing the user saw is still placed by what it is.
/// A new item has no interactions, so this is how it reaches anyone.
/// </summary>
public sealed class NewItemSource : ICandidateSource
{
    private readonly int[] _newItems;
    private readonly int[] _attributes;  // (new items, Attributes): read once here, compared per request without catalog lookups
    private readonly Core.Data.PretrainedVectors? _text;
    // The new items' text rows as int8 with a scale per row (Int8Rows): the per-request pass over them reads a quarter of
    // the memory of floats (5,000 × 384 floats are 7.7 MB, more than the cache holds, and the pass was memory-bound).
    private readonly sbyte[] _newText = [];
    private readonly float[] _newTextScale = [];

    /// <param name="unknownToModel">Catalog items the large model has no vector for.</param>
    /// <param name="text">The catalog's text vectors (aligned with catalog indices), read only when there are new items; null or a null result: attributes only.</param>
    public NewItemSource(CatalogIndex catalog, Func<int, bool> unknownToModel, long now, double maxAgeDays = Core.Domain.Item.NewForDays, int maxItems = 5000, Func<Core.Data.PretrainedVectors?>? text = null)
    {
        MaxAgeDays = maxAgeDays;
        var cutoff = now - (long)(maxAgeDays * 86400);
        _newItems = Enumerable.Range(0, catalog.Count)
            .Where(i => catalog.Cataloged(i) && (catalog.CreatedAt(i) >= cutoff || unknownToModel(i)))
            .OrderByDescending(catalog.CreatedAt).ThenBy(i => i).Take(maxItems).ToArray();
        _attributes = new int[_newItems.Length * Attributes];
        for (var k = 0; k < _newItems.Length; k++) AttributesOf(catalog, _newItems[k], _attributes.AsSpan(k * Attributes, Attributes));
        if (_newItems.Length == 0 || text?.Invoke() is not { PresentCount: > 0 } vectors || vectors.ItemCount != catalog.Count) return;
        if (!_newItems.Any(vectors.Has)) return;
        _text = vectors;
        var d = vectors.Dimension;
        _newText = new sbyte[_newItems.Length * d];
        _newTextScale = new float[_newItems.Length];
        for (var k = 0; k < _newItems.Length; k++) _newTextScale[k] = Numerics.Int8Rows.QuantizeRow(vectors.Of(_newItems[k]), _newText.AsSpan(k * d, d));
    }

    public double MaxAgeDays { get; }
    /// <summary>
    /// A new item is proposed to a user only when it matches one of their recent items at least this well, recency
    /// weighted (1 = same leaf category, or with text a cosine of 0.5 at <see cref="TextWeight"/> 2). Text is checked
    /// pair by pair for the new items whose text is closest to the recent items' as a whole (as many as the request's
    /// candidate limit), so a request stays one int8 pass over the new items' text plus limit × 20 dot products.
    /// </summary>
    public float MinMatch { get; init; } = 1f;
    /// <summary>
    /// Weight of text closeness beside the attributes: a recent item counts <c>TextWeight × cosine</c> of the two
    /// texts on top of the attribute overlap, so at 2 a cosine of 0.5 weighs as much as the same leaf category.
    /// </summary>
    public float TextWeight { get; init; } = 2f;
    /// <summary>Whether the new items are also placed by their text (the catalog has text vectors for some of them).</summary>
    public bool UsesText => _text is not null;
    public int Count => _newItems.Length;
    public string Name => "new";
    public bool Expensive => false;
    public bool Applies(CandidateContext context) => _newItems.Length > 0;

    private const float Decay = 0.9f;

    public IReadOnlyList<SourceCandidate> Propose(CandidateContext context, int limit)
    {
        var cat = context.Catalog;
        var recent = context.RecentItems.TakeLast(20).ToArray();
        var (text, textBest, textAnchor) = TextMatches(recent, context.Admissible, limit);
        var recentAttributes = new int[recent.Length * Attributes];
        for (var h = 0; h < recent.Length; h++) AttributesOf(cat, recent[h], recentAttributes.AsSpan(h * Attributes, Attributes));
        var result = new List<SourceCandidate>();
        for (var k = 0; k < _newItems.Length; k++)
        {
            var i = _newItems[k];
            if (!context.Admissible(i)) continue;
            var mine = _attributes.AsSpan(k * Attributes, Attributes);
            float score = 0f, best = 0f; var anchor = -1; var w = 1f;
            for (var h = recent.Length - 1; h >= 0; h--, w *= Decay)
            {
                var s = w * Match(mine, recentAttributes.AsSpan(h * Attributes, Attributes));
                score += s;
                if (s > best) { best = s; anchor = recent[h]; }
            }
            if (best < MinMatch && textBest is not null && textBest[k] >= MinMatch) anchor = textAnchor![k];
            else if (best < MinMatch && recent.Length > 0) continue;
            result.Add(new SourceCandidate(i, recent.Length == 0 ? 1f / (1 + result.Count) : score + (text is null ? 0f : TextWeight * text[k]), anchor));
        }
        return result.OrderByDescending(c => c.Score).ThenBy(c => c.Item).Take(limit).ToArray();
    }

    /// <summary>
    /// Per new item: Σ over the recent items of w·cos (newest w = 1, each older one × <see cref="Decay"/>; one product
    /// with the recent items' profile), and, for the <paramref name="check"/> admissible new items with the highest sum, the best
    /// single recent item's <c>w·TextWeight·cos</c> and that item (the admission test, pair by pair, like the
    /// attributes'; the others get 0). Nulls without text.
    /// </summary>
    private (float[]? Sum, float[]? Best, int[]? Anchor) TextMatches(int[] recent, Func<int, bool> admissible, int check)
    {
        if (_text is null || recent.Length == 0) return (null, null, null);
        var d = _text.Dimension;
        var profile = new float[d];
        if (Core.Data.PretrainedVectors.RecencyWeightedSum(_text.Values, d, recent, Decay, profile, _text.Present) == 0f) return (null, null, null);
        // One int8 pass over the new items' rows with the profile quantized the same way (the sums steer the ranking and
        // which items are checked pair by pair, exactly in floats, below).
        var q = new sbyte[d];
        var profileScale = Numerics.Int8Rows.QuantizeRow(profile, q);
        var dots = new int[_newItems.Length];
        Numerics.Int8Rows.Dots(_newText, q, dots);
        var sum = new float[_newItems.Length];
        for (var k = 0; k < sum.Length; k++) sum[k] = dots[k] * _newTextScale[k] * profileScale;
        var best = new float[_newItems.Length];
        var anchor = new int[_newItems.Length];
        // The `check` highest sums (a min-heap of that size: no sort of every new item).
        var top = new PriorityQueue<int, float>(Math.Min(check, sum.Length) + 1);
        for (var k = 0; k < sum.Length; k++)
        {
            if (!_text.Has(_newItems[k]) || !admissible(_newItems[k])) continue;
            if (top.Count < check) top.Enqueue(k, sum[k]);
            else if (top.TryPeek(out _, out var least) && sum[k] > least) top.EnqueueDequeue(k, sum[k]);
        }
        while (top.TryDequeue(out var k, out _))
        {
            anchor[k] = -1;
            var w = 1f;
            for (var h = recent.Length - 1; h >= 0; h--, w *= Decay)
            {
                if (!_text.Has(recent[h])) continue;
                var s = w * TextWeight * System.Numerics.Tensors.TensorPrimitives.Dot(_text.Of(_newItems[k]), _text.Of(recent[h]));
                if (s > best[k]) { best[k] = s; anchor[k] = recent[h]; }
            }
        }
        return (sum, best, anchor);
    }

    /// <summary>Attribute overlap in [0, 2.4]: leaf category 1, top category 0.3, brand 0.7, shop 0.2, price band 0.2.</summary>
    internal static float Match(CatalogIndex cat, int a, int b)
    {
        Span<int> x = stackalloc int[Attributes], y = stackalloc int[Attributes];
        AttributesOf(cat, a, x);
        AttributesOf(cat, b, y);
        return Match(x, y);
    }

    private const int Attributes = 5;
    private static readonly float[] AttributeWeights = [1f, 0.3f, 0.7f, 0.2f, 0.2f];

    private static void AttributesOf(CatalogIndex cat, int item, Span<int> into)
    {
        into[0] = cat.Category(item); into[1] = cat.TopCategory(item); into[2] = cat.Brand(item); into[3] = cat.Shop(item); into[4] = cat.PriceBand(item);
    }

    private static float Match(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var s = 0f;
        for (var j = 0; j < Attributes; j++)
            if (a[j] >= 0 && a[j] == b[j]) s += AttributeWeights[j];
        return s;
    }
}
