using System.CommandLine;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Evaluation.Retrieval;
using Merx.Numerics;
using Merx.Ranking.Retrieval;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>`merx index-bench`: recall and queries/s of the item indexes against the exact scan, on the same vectors.</summary>
internal static class IndexBenchCommand
{
    public static Command Create()
    {
        var items = new Option<int>("--items") { Description = "catalog size (synthetic; with --vectors-from, the model's items, extended by jittered copies when larger; with --graph, the model's own count)", DefaultValueFactory = _ => 100_000 };
        var dim = new Option<int>("--dim") { Description = "vector length (synthetic vectors only)", DefaultValueFactory = _ => 64 };
        var queries = new Option<int>("--queries") { Description = "query vectors", DefaultValueFactory = _ => 2000 };
        var seed = Cli.Seed();
        var from = new Option<string?>("--vectors-from") { Description = "a store with a published Transformer: its item vectors, queries encoded from its users' histories" };
        var model = new Option<string>("--model") { Description = "the published model to read with --vectors-from", DefaultValueFactory = _ => "sasrec" };
        var int8 = new Option<bool>("--int8") { Description = "with --vectors-from: the model's int8 inference copy, as Merx:ModelPrecision int8 serves it (its int8 item rows, its int8 layers encoding the queries)" };
        var indexes = new Option<string>("--indexes") { Description = "comma-separated: ivf, int8-scan, pq-scan, hnsw-f16, hnsw-f32, hnsw-i8 (pq-scan: product quantization, d / 4 bytes an item; graphs on inner product; -lift: cosine on lifted unit vectors, as int8 always is)", DefaultValueFactory = _ => "ivf,int8-scan,hnsw-f16,hnsw-i8" };
        var probes = new Option<int>("--probes") { Description = "ivf: clusters scanned per query", DefaultValueFactory = _ => 32 };
        var candidates = new Option<int>("--candidates") { Description = "int8-scan and pq-scan: k × this candidates re-ranked exactly (at least 100)", DefaultValueFactory = _ => 4 };
        var m = new Option<int>("--connectivity") { Description = "hnsw: links per node (M)", DefaultValueFactory = _ => new HnswOptions().Connectivity };
        var efAdd = new Option<int>("--expansion-add") { Description = "hnsw: candidate list while building", DefaultValueFactory = _ => new HnswOptions().ExpansionAdd };
        var efSearch = new Option<string>("--expansion-search") { Description = "hnsw: candidate list while searching; comma-separated widths measure the same graph at each", DefaultValueFactory = _ => new HnswOptions().ExpansionSearch.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var graph = new Option<string?>("--graph") { Description = "hnsw: read the graph from this file (a serving graph under <db>.indexes/, built over the --vectors-from model's vectors) instead of building one" };
        var head = new Option<string?>("--head") { Description = "hnsw: items of largest norm scanned beside the graph (default: 16,384 or the whole catalog when smaller; 0: the graph alone); comma-separated sizes measure the same graph with each" };
        var rerank = new Option<string>("--rerank") { Description = "hnsw: the best k × this items the graph finds are re-ranked exactly; comma-separated factors measure the same graph with each", DefaultValueFactory = _ => new HnswOptions().CandidateFactor.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var tolerance = new Option<string>("--head-tolerance") { Description = "hnsw: the share of answers the head alone may miss, as audited, to answer without its proof (0: only with the proof); comma-separated shares measure the same graph with each", DefaultValueFactory = _ => HnswOptions.DefaultHeadTolerance.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var epsilon = new Option<double>("--epsilon") { Description = "relative score tolerance of the ε-recalls (ANN-benchmarks' 0.01; 0: exact ties only)", DefaultValueFactory = _ => 0.01 };
        var json = Cli.Json();
        var command = new Command("index-bench", "Recall@10/@100 and queries/s of the item indexes (inverted file, int8 scan, product quantization, USearch HNSW) against the exact float scan, on synthetic clustered vectors or a trained model's.")
        {
            items, dim, queries, seed, from, model, int8, indexes, probes, candidates, m, efAdd, efSearch, graph, head, rerank, tolerance, epsilon, json,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var n = parse.GetValue(items);
            var q = parse.GetValue(queries);
            var s = parse.GetValue(seed);
            if (n < 1) throw new ArgumentException("--items must be at least 1");
            if (q < 1) throw new ArgumentException("--queries must be at least 1");
            var names = parse.GetValue(indexes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var widths = parse.GetValue(efSearch)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(w => int.TryParse(w, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 1 ? v : throw new ArgumentException($"--expansion-search: '{w}' is not a width of at least 1")).ToArray();
            if (widths.Length == 0) throw new ArgumentException("--expansion-search needs at least one width");
            int?[] heads = parse.GetValue(head) is { } headList
                ? headList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(h => int.TryParse(h, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0 ? (int?)v : throw new ArgumentException($"--head: '{h}' is not a size of 0 or more")).ToArray()
                : [null];
            if (heads.Length == 0) throw new ArgumentException("--head needs at least one size");
            var factors = parse.GetValue(rerank)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(f => int.TryParse(f, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 1 ? v : throw new ArgumentException($"--rerank: '{f}' is not a factor of at least 1")).ToArray();
            if (factors.Length == 0) throw new ArgumentException("--rerank needs at least one factor");
            var tolerances = parse.GetValue(tolerance)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v is >= 0 and < 1 ? v : throw new ArgumentException($"--head-tolerance: '{t}' is not a share in [0, 1)")).ToArray();
            if (tolerances.Length == 0) throw new ArgumentException("--head-tolerance needs at least one share");
            var graphFile = parse.GetValue(graph);
            if (graphFile is not null && !File.Exists(graphFile)) throw new FileNotFoundException($"no graph at {graphFile} (a serving graph is written under <db>.indexes/ by the first 'merx serve')");
            if (graphFile is not null && parse.GetValue(from) is null) throw new ArgumentException("--graph needs --vectors-from: the graph's keys are that model's items");
            var list = names.SelectMany(name => name.StartsWith("hnsw", StringComparison.Ordinal)
                    ? heads.SelectMany(h => tolerances.SelectMany(t => factors.SelectMany(f => widths.Select(w => Candidate(name, parse.GetValue(probes), parse.GetValue(candidates), new HnswOptions(HnswStorage.Int8, parse.GetValue(m), parse.GetValue(efAdd), w, f, HeadItems: h, HeadTolerance: t), graphFile)))))
                    : [Candidate(name, parse.GetValue(probes), parse.GetValue(candidates), new HnswOptions(), null)]).ToList();

            float[] vectors, queryVectors;
            int d;
            string source;
            if (parse.GetValue(from) is { } path)
                (vectors, queryVectors, d, source) = FromModel(path, parse.GetValue(model)!, graphFile is null ? n : null, q, s, parse.GetValue(int8));
            else
            {
                d = parse.GetValue(dim);
                if (d < 1) throw new ArgumentException("--dim must be at least 1");
                Cli.Progress.Report($"generating {n:N0} clustered vectors of {d} (seed {s})");
                vectors = ClusteredVectors.Items(n, d, s);
                queryVectors = ClusteredVectors.Queries(n, d, q, s);
                source = $"synthetic clustered, seed {s}";
            }
            if (parse.GetValue(epsilon) is var eps && (eps < 0 || !double.IsFinite(eps))) throw new ArgumentException("--epsilon must be 0 or more");
            var results = IndexBench.Run(vectors, queryVectors, d, list, Cli.Progress, parse.GetValue(epsilon));
            Console.WriteLine($"{source}: {vectors.Length / d:N0} items, d {d}, {queryVectors.Length / d:N0} queries; exact scan {results.FirstOrDefault()?.ExactQps:F1} queries/s");
            Console.WriteLine($"{"index",-10} {"recall@10",10} {"(ε)",7} {"recall@100",11} {"(ε)",7} {"queries/s",10} {"top-100/s",10} {"× exact",8} {"build s",8} {"bytes/item",11} {"head@10",8} {"head@100",8} {"rec@10",7} {"rec@100",7}  settings");
            foreach (var r in results)
                Console.WriteLine($"{r.Index,-10} {r.RecallAt10,10:F4} {r.RecallAt10Epsilon,7:F4} {r.RecallAt100,11:F4} {r.RecallAt100Epsilon,7:F4} {r.Qps,10:F0} {r.QpsAt100,10:F0} {r.Qps / r.ExactQps,8:F1} {r.BuildSeconds,8:F1} {r.BytesPerItem,11:F1} {Share(r.HeadAnswersAt10),8} {Share(r.HeadAnswersAt100),8} {Share(r.HeadOnRecordAt10),7} {Share(r.HeadOnRecordAt100),7}  {r.Settings}");
            if (results.FirstOrDefault() is { } first)
                Console.WriteLine($"exact answers by item norm: every top-10 item within the {first.ExactTop10MaxNormRank + 1:N0} longest vectors; {first.ExactTop100InHead:P2} of the top-100 items within the {HnswOptions.HeadFor(vectors.Length / d):N0} longest (the default head)");
            if (parse.GetValue(json) is { } jsonPath)
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(new { vectors = source, results }, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }

    private static string Share(double? share) => share is { } s ? s.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static IndexBench.Candidate Candidate(string name, int probes, int candidates, HnswOptions hnsw, string? graphFile) => name switch
    {
        "ivf" => new($"clusters 2√n, probes {probes}", v => IvfIndex.Build(v.Floats, v.Dimension, probes: probes)),
        "int8-scan" => new($"candidates max(100, {candidates}k), exact re-rank", v => Int8ScanIndex.Build(v, candidates)),
        "pq-scan" => new($"d / 4 runs of 256 centroids (one byte each), candidates max(100, {candidates}k), exact re-rank", v => PqScanIndex.Build(v, candidateFactor: candidates)),
        "hnsw-i8" or "hnsw-f16" or "hnsw-f32" or "hnsw-f16-lift" or "hnsw-f32-lift" => Hnsw(hnsw with
        {
            Storage = name.StartsWith("hnsw-i8") ? HnswStorage.Int8 : name.StartsWith("hnsw-f16") ? HnswStorage.Float16 : HnswStorage.Float32,
            Lift = name.EndsWith("-lift"),
        }, graphFile),
        _ => throw new ArgumentException($"unknown index '{name}' (ivf, int8-scan, pq-scan, hnsw-i8, hnsw-f16, hnsw-f32, hnsw-f16-lift, hnsw-f32-lift)"),
    };

    // A graph read from a file searches as wide as the options say (HnswIndex.Load); its "build" time is the read.
    private static IndexBench.Candidate Hnsw(HnswOptions o, string? graphFile) =>
        new($"{(o.Lift || o.Storage == HnswStorage.Int8 ? "lifted cosine" : "inner product")}, M {o.Connectivity}, ef_add {o.ExpansionAdd}, ef_search {o.ExpansionSearch}, {o.CandidateFactor}k re-ranked, head {(o.HeadItems is { } h ? h.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "min(n, 16,384)")}, head tolerance {o.HeadTolerance.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(graphFile is null ? "" : $", graph read from {Path.GetFileName(graphFile)}")}",
            v => graphFile is null ? HnswIndex.Build(v, o, Cli.Progress) : HnswIndex.Load(graphFile, v, o));

    /// <summary>
    /// A published model's item vectors and, as queries, the user vectors it encodes from the histories of
    /// <paramref name="queries"/> users drawn by <paramref name="seed"/>. Asked for more items than the model
    /// has, the catalog is extended with copies of its vectors (drawn by the seed) plus N(0, (σ/4)²) noise per
    /// entry, σ the entries' standard deviation: labelled as such in the report.
    /// </summary>
    /// <param name="items">Items to measure over; null: the model's own (a graph read from a file holds exactly those).</param>
    private static (float[] Vectors, float[] Queries, int D, string Source) FromModel(string path, string name, int? items, int queries, int seed, bool int8)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no store at {path} (create one with 'merx import')");
        using var store = MerxStores.Open(path);
        var package = RecommendCommand.LoadLatest(store, name);
        if (int8)
        {
            if (package.Model is not IInt8Inference q) throw new ArgumentException($"model '{name}' has no int8 inference copy");
            package = package with { Model = q.ToInt8() };
        }
        if (package.Model is not IUserEncoder enc) throw new ArgumentException($"model '{name}' has no item vectors");
        var d = enc.Dimension;
        var table = enc.ItemVectors;
        var count = table.Count;
        var n = items ?? count;
        var vectors = new float[(long)n * d];
        for (var i = 0; i < Math.Min(n, count); i++) table.Row(i, vectors.AsSpan(i * d, d)).CopyTo(vectors.AsSpan(i * d, d));
        var rng = new SplitMix64((ulong)seed);
        if (n > count)
        {
            var own = vectors.AsSpan(0, count * d);
            double squares = 0;
            foreach (var v in own) squares += (double)v * v;
            var sigma = Math.Sqrt(squares / own.Length);
            for (var i = count; i < n; i++)
            {
                var from = rng.Next(count);
                for (var t = 0; t < d; t++) vectors[(long)i * d + t] = own[from * d + t] + (float)(sigma / 4 * rng.NextGaussian());
            }
        }

        Cli.Progress.Report($"encoding {queries:N0} users' histories with {package.Name}");
        var data = store.LoadDataset(itemText: false);
        var users = Enumerable.Range(0, data.UserCount).Where(u => data.Sequences.ItemsOf(u).Length > 0).ToArray();
        if (users.Length == 0) throw new InvalidOperationException("the store holds no user history to encode");
        var queryVectors = new float[queries * d];
        for (var i = 0; i < queries; i++)
        {
            var u = users[rng.Next(users.Length)];
            var history = new List<int>();
            foreach (var item in data.Sequences.ItemsOf(u))
                if (package.Items.IndexOf(data.Items[item]) is var j and >= 0) history.Add(j);
            enc.EncodeUser(-1, history.ToArray(), queryVectors.AsSpan(i * d, d));
        }
        var source = n <= count ? $"{package.Name}{(int8 ? " (int8 copy)" : "")} item vectors from {Path.GetFileName(path)}, users' histories as queries (seed {seed})"
            : $"{package.Name}{(int8 ? " (int8 copy)" : "")} item vectors from {Path.GetFileName(path)} ({count:N0}) extended to {n:N0} with jittered copies (σ/4), users' histories as queries (seed {seed})";
        if (n < count) Array.Resize(ref vectors, n * d);
        return (vectors, queryVectors, d, source);
    }
}
