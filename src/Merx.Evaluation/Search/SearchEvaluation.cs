using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Ranking.Pipeline;

namespace Merx.Evaluation.Search;

/// <summary>Recall@10 of one query set under keyword (BM25) and hybrid (BM25 + text vectors) search.</summary>
/// <param name="Bm25Ms">Median milliseconds of one BM25 search.</param>
/// <param name="HybridMs">Median milliseconds of one hybrid search, encoding the query included (one query at a time, as a request does).</param>
public sealed record SearchRecall(int Queries, double Bm25, double Hybrid, double VectorOnly, double Bm25Ms = 0, double HybridMs = 0);

/// <summary>What the search benchmark reports: exact-word queries and their paraphrases.</summary>
public sealed record SearchEvaluationResult(SearchRecall Exact, SearchRecall Paraphrased, int SkippedWithoutSynonyms, int CatalogItems);

/// <summary>
/// Search benchmark on a catalog whose items carry a colour attribute and a category leaf
/// ("Classic serum": style + product noun), as the generated shops do. A query names a colour
/// and a product ("silver serum"); the relevant items are all items of that colour and product;
/// recall@10 = relevant items in the top 10 / min(10, relevant). Paraphrased queries replace
/// both words from a fixed synonym list written before any tuning ("metallic facial essence"),
/// so they share no word with the titles. Anonymous queries (no personal re-ranking).
/// </summary>
public static class SearchEvaluation
{
    public const int K = 10;

    public static SearchEvaluationResult Run(IReadOnlyList<string> ids, IReadOnlyList<Item?> catalog, PretrainedVectors vectors,
        Func<IReadOnlyList<string>, float[][]> encodeQueries, IReadOnlyDictionary<string, string> synonyms, int maxQueries, int seed, IProgress<string>? progress = null)
    {
        var keys = new (string Color, string Noun)?[catalog.Count];
        for (var i = 0; i < catalog.Count; i++)
            if (catalog[i] is { } item && item.Attributes.TryGetValue("color", out var color) && item.CategoryPath.Count > 0 && item.CategoryPath[^1].Split(' ', 2) is [_, var noun])
                keys[i] = (color.ToLowerInvariant(), noun.ToLowerInvariant());
        var groups = Enumerable.Range(0, catalog.Count).Where(i => keys[i] is not null).GroupBy(i => keys[i]!.Value).ToArray();
        if (groups.Length == 0) throw new ArgumentException("the catalog has no items with a 'color' attribute and a 'Style noun' category leaf (the search benchmark runs on generated shops)");
        var rng = new Random(seed);
        rng.Shuffle(groups);
        var chosen = groups.Take(maxQueries).ToArray();
        var index = new SearchIndex(new CatalogIndex(ids, catalog));
        var exact = chosen.Select(g => ($"{g.Key.Color} {g.Key.Noun}", g.ToHashSet())).ToArray();
        var para = chosen.Where(g => synonyms.ContainsKey(g.Key.Color) && synonyms.ContainsKey(g.Key.Noun))
            .Select(g => ($"{synonyms[g.Key.Color]} {synonyms[g.Key.Noun]}", g.ToHashSet())).ToArray();
        progress?.Report($"search: {exact.Length} exact-word queries, {para.Length} paraphrased ({exact.Length - para.Length} lack a synonym)");
        return new SearchEvaluationResult(Measure(exact), Measure(para), exact.Length - para.Length, catalog.Count);

        SearchRecall Measure((string Query, HashSet<int> Relevant)[] queries)
        {
            if (queries.Length == 0) return new SearchRecall(0, 0, 0, 0);
            double bm25 = 0, hybrid = 0, vector = 0;
            var bm25Ms = new double[queries.Length]; var hybridMs = new double[queries.Length];
            var clock = new System.Diagnostics.Stopwatch();
            for (var k = 0; k < queries.Length; k++)
            {
                var (query, relevant) = queries[k];
                clock.Restart();
                var keyword = index.Search(query, K, _ => true, null);
                bm25Ms[k] = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                var nearest = SearchIndex.Nearest(encodeQueries([query])[0], vectors, 200);
                var fused = index.Search(query, K, _ => true, null, semantic: nearest);
                hybridMs[k] = clock.Elapsed.TotalMilliseconds;
                bm25 += Recall(keyword.Select(h => h.Item), relevant);
                hybrid += Recall(fused.Select(h => h.Item), relevant);
                vector += Recall(nearest.Take(K).Select(h => h.Item), relevant);
            }
            return new SearchRecall(queries.Length, bm25 / queries.Length, hybrid / queries.Length, vector / queries.Length, Median(bm25Ms), Median(hybridMs));
        }
    }

    private static double Median(double[] v) { var s = v.Order().ToArray(); return s[s.Length / 2]; }

    private static double Recall(IEnumerable<int> top, HashSet<int> relevant) => top.Take(K).Count(relevant.Contains) / (double)Math.Min(K, relevant.Count);

    /// <summary>Reads "word&lt;TAB&gt;paraphrase" lines ('#' starts a comment).</summary>
    public static Dictionary<string, string> ReadSynonyms(string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split('\t');
            if (f.Length != 2 || f[0].Trim().Length == 0 || f[1].Trim().Length == 0) throw new FormatException($"{path}:{n}: expected word<TAB>paraphrase");
            map[f[0].Trim().ToLowerInvariant()] = f[1].Trim();
        }
        return map;
    }
}
