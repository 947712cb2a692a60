using Merx.Core.Data;

namespace Merx.Ranking.Pipeline;

/// <summary>
/// Keyword search over the catalog (title, description, category path, brand, shop, tags,
/// attribute values) with BM25 (k1 = 1.2, b = 0.75); title, category and brand tokens count
/// twice. Personalisation happens in <see cref="Search"/> by mixing in a per-item user score.
/// </summary>
public sealed class SearchIndex
{
    private readonly Dictionary<string, (int[] Items, float[] Tf)> _postings;
    private readonly float[] _length;
    private readonly float _avgLength;
    private const float K1 = 1.2f, B = 0.75f;

    public SearchIndex(CatalogIndex catalog)
    {
        var n = catalog.Count;
        _length = new float[n];
        var building = new Dictionary<string, Dictionary<int, float>>(StringComparer.Ordinal);
        catalog.ForEachEntry((i, item) =>
        {
            void AddText(string? text, float weight)
            {
                foreach (var tok in TextTokenizer.Tokens(text ?? ""))
                {
                    if (!building.TryGetValue(tok, out var p)) building[tok] = p = [];
                    p[i] = p.GetValueOrDefault(i) + weight;
                    _length[i] += weight;
                }
            }
            AddText(item.Title, 2f);
            AddText(item.Description, 1f);
            AddText(string.Join(' ', item.CategoryPath), 2f);
            AddText(item.Brand, 2f);
            AddText(item.Shop, 1f);
            AddText(string.Join(' ', item.Tags), 1f);
            AddText(string.Join(' ', item.Attributes.Values), 1f);
        });
        _postings = building.ToDictionary(p => p.Key, p => (p.Value.Keys.ToArray(), p.Value.Values.ToArray()), StringComparer.Ordinal);
        var docs = _length.Count(l => l > 0);
        _avgLength = docs == 0 ? 1 : _length.Sum() / docs;
        Documents = docs;
    }

    public int Documents { get; }

    /// <summary>BM25 score of every item matching at least one query token; empty when nothing matches.</summary>
    public Dictionary<int, float> Match(string query)
    {
        var scores = new Dictionary<int, float>();
        foreach (var tok in TextTokenizer.Tokens(query).Distinct())
        {
            if (!_postings.TryGetValue(tok, out var p)) continue;
            var idf = MathF.Log(1 + (Documents - p.Items.Length + 0.5f) / (p.Items.Length + 0.5f));
            for (var k = 0; k < p.Items.Length; k++)
            {
                var i = p.Items[k]; var tf = p.Tf[k];
                var s = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * _length[i] / _avgLength));
                scores[i] = scores.GetValueOrDefault(i) + s;
            }
        }
        return scores;
    }

    /// <summary>
    /// Personalised search: the keyword (BM25) matches, fused with <paramref name="semantic"/> (the
    /// items nearest the query's text vector, best first; null: keywords alone) by reciprocal rank
    /// fusion, normalised to [0, 1], plus <paramref name="personalWeight"/> times the user's
    /// normalised score for the item (from <paramref name="personal"/>, null for an anonymous
    /// query). Returns the top <paramref name="n"/> admissible matches. With semantic matches, a
    /// query that shares no word with an item's text (a synonym, a paraphrase) can still find it.
    /// </summary>
    public IReadOnlyList<(int Item, float Score, float Text, float Personal)> Search(string query, int n, Func<int, bool> admissible, Func<IReadOnlyList<int>, float[]>? personal, float personalWeight = 0.5f, int rerankDepth = 200,
        IReadOnlyList<(int Item, float Similarity)>? semantic = null)
    {
        var matches = Match(query).Where(p => admissible(p.Key)).OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(rerankDepth).ToArray();
        if (semantic is not null) matches = Fuse(matches, semantic.Where(p => admissible(p.Item)).Take(rerankDepth).ToArray());
        if (matches.Length == 0) return [];
        var maxText = matches[0].Value;
        var items = matches.Select(m => m.Key).ToArray();
        var user = personal?.Invoke(items);
        if (user is not null)
        {
            var lo = user.Min(); var hi = user.Max();
            for (var k = 0; k < user.Length; k++) user[k] = hi - lo > 1e-12f ? (user[k] - lo) / (hi - lo) : 0f;
        }
        return matches.Select((m, k) =>
            {
                var text = m.Value / maxText; var p = user?[k] ?? 0f;
                return (m.Key, text + personalWeight * p, text, p);
            })
            .OrderByDescending(r => r.Item2).ThenBy(r => r.Key).Take(n).ToArray();
    }

    /// <summary>Reciprocal rank fusion constant (Cormack et al. 2009): a list's r-th item (from 1) scores 1 / (60 + r).</summary>
    public const int FusionK = 60;

    /// <summary>Reciprocal rank fusion of two ranked lists, best first.</summary>
    private static KeyValuePair<int, float>[] Fuse(KeyValuePair<int, float>[] keyword, (int Item, float Similarity)[] semantic)
    {
        var fused = new Dictionary<int, float>();
        for (var r = 0; r < keyword.Length; r++) fused[keyword[r].Key] = 1f / (FusionK + r + 1);
        for (var r = 0; r < semantic.Length; r++) fused[semantic[r].Item] = fused.GetValueOrDefault(semantic[r].Item) + 1f / (FusionK + r + 1);
        return fused.OrderByDescending(p => p.Value).ThenBy(p => p.Key).ToArray();
    }

    /// <summary>
    /// The <paramref name="depth"/> items whose vectors are nearest the query vector (dot product of
    /// unit vectors: cosine), best first; items without a vector are skipped. Exact (a scan: about
    /// 10 ms for 100k items of 384 floats).
    /// </summary>
    public static (int Item, float Similarity)[] Nearest(ReadOnlySpan<float> query, PretrainedVectors vectors, int depth)
    {
        if (query.Length != vectors.Dimension) throw new ArgumentException($"query vector has {query.Length} entries, the item vectors {vectors.Dimension}", nameof(query));
        var scores = new float[vectors.ItemCount];
        Numerics.Gemm.ABt(query, vectors.Values, scores, 1, vectors.Dimension, vectors.ItemCount);
        for (var i = 0; i < scores.Length; i++) if (!vectors.Has(i)) scores[i] = float.NegativeInfinity;
        return Core.Contracts.TopK.Select(scores, Math.Min(depth, vectors.PresentCount)).Select(s => (s.Item, s.Score)).ToArray();
    }
}
