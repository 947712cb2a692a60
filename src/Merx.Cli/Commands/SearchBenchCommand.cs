using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merx.Core.Import;
using Merx.Encoders;
using Merx.Evaluation.Search;

namespace Merx.Cli.Commands;

/// <summary>`merx search-bench`: recall@10 of exact-word and paraphrased queries, keyword (BM25) vs hybrid search.</summary>
internal static class SearchBenchCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var synonyms = new Option<string>("--synonyms") { Description = "word<TAB>paraphrase file (bench/search-synonyms.tsv)", Required = true };
        var queries = new Option<int>("--queries") { Description = "at most this many colour + product queries", DefaultValueFactory = _ => 300 };
        var seed = Cli.Seed();
        var json = Cli.Json();
        var cache = CliText.CacheOption();
        var command = new Command("search-bench", "Measure search on a generated shop: recall@10 of exact-word queries (\"silver serum\") and of their paraphrases from a synonym list (\"metallic facial essence\"), BM25 alone vs BM25 fused with the pre-trained text encoder's vectors.")
        {
            data, format, synonyms, queries, seed, json, cache,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(data)!;
            var options = Cli.ImportOptions(false, null);
            var dataset = DatasetLoader.Load(DataSources.Open(path, parse.GetValue(format), options), new ImportReport(options));
            var vectors = CliText.Encode(dataset.Catalog, parse.GetValue(cache)) ?? throw new ArgumentException("no item of this data set has text: nothing to search");
            using var encoder = TextEncoder.Load();
            var r = SearchEvaluation.Run(dataset.Items.Ids, dataset.Catalog, vectors, q => encoder.Encode(q), SearchEvaluation.ReadSynonyms(parse.GetValue(synonyms)!),
                parse.GetValue(queries), parse.GetValue(seed), Cli.Progress);
            Console.WriteLine($"{"queries",-12} {"n",5} {"BM25",8} {"hybrid",8} {"vectors",8}   (recall@10)   median ms per query: BM25, hybrid (query encoding included)");
            foreach (var (name, s) in new[] { ("exact", r.Exact), ("paraphrased", r.Paraphrased) })
                Console.WriteLine($"{name,-12} {s.Queries,5} {s.Bm25,8:F4} {s.Hybrid,8:F4} {s.VectorOnly,8:F4}   {s.Bm25Ms,8:F2} {s.HybridMs,8:F2}");
            if (parse.GetValue(json) is { } j)
            {
                JsonObject Of(SearchRecall s) => new() { ["queries"] = s.Queries, ["bm25_recall@10"] = s.Bm25, ["hybrid_recall@10"] = s.Hybrid, ["vector_recall@10"] = s.VectorOnly, ["bm25_median_ms"] = s.Bm25Ms, ["hybrid_median_ms"] = s.HybridMs };
                var o = new JsonObject { ["seed"] = parse.GetValue(seed), ["catalog_items"] = r.CatalogItems, ["exact"] = Of(r.Exact), ["paraphrased"] = Of(r.Paraphrased), ["skipped_without_synonyms"] = r.SkippedWithoutSynonyms };
                File.WriteAllText(j, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"wrote {j}");
            }
            return 0;
        }));
        return command;
    }
}
