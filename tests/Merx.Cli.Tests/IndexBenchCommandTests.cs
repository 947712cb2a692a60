using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Ranking.Retrieval;
using Merx.Service.Serving;
using Merx.Storage;

namespace Merx.Cli.Tests;

public class IndexBenchCommandTests() : CliTestBase("merx-index-bench-")
{
    [Fact]
    public void IndexBench_MeasuresAServingGraphReadFromItsFile_AtEachWidth()
    {
        Assert.Equal(0, Merx("generate", "--users", "300", "--items", "1500", "--events", "12000", "--seed", "5", "--out", P("g")).Code);
        Assert.Equal(0, Merx("import", "--data", P("g"), "--db", P("t.db")).Code);
        Assert.Equal(0, Merx("train", "--db", P("t.db"), "--models", "sasrec", "--time-budget", "0.05", "--no-text", "--seed", "1").Code);
        // The graph a server writes under <db>.indexes/: f16, inner product, over the served model's item vectors.
        int items;
        using (var store = MerxStores.Open(P("t.db")))
        {
            var version = store.LatestModel("sasrec")!;
            var encoder = (IUserEncoder)LoadedModel.ReadPackage(store, version.Version).Model;
            items = encoder.ItemVectors.Count;
            using var graph = HnswIndex.Build(encoder.ItemVectors, new HnswOptions(HnswStorage.Float16));
            graph.Save(P("graph.usearch"));
        }

        var (code, output, error) = Merx("index-bench", "--vectors-from", P("t.db"), "--graph", P("graph.usearch"), "--indexes", "hnsw-f16",
            "--expansion-search", "8,128", "--head", "0,64", "--queries", "100", "--seed", "3", "--json", P("r.json"));
        Assert.True(code == 0, error);
        Assert.Contains("graph read from graph.usearch", output);
        using var json = JsonDocument.Parse(File.ReadAllText(P("r.json")));
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(4, results.Length);   // the graph alone at each width, then with the 64 longest vectors scanned beside it
        Assert.All(results, r => Assert.Equal(items, r.GetProperty("items").GetInt32()));
        Assert.Contains("ef_search 8,", results[0].GetProperty("settings").GetString());
        Assert.Contains("ef_search 128,", results[1].GetProperty("settings").GetString());
        Assert.Contains("head 0,", results[1].GetProperty("settings").GetString());
        Assert.Contains("head 64,", results[3].GetProperty("settings").GetString());
        double Recall(int i) => results[i].GetProperty("recall@10").GetDouble();
        Assert.InRange(Recall(1), 0.9, 1.0);
        Assert.True(Recall(0) <= Recall(1) + 1e-9);
        Assert.True(Recall(2) >= Recall(0) - 1e-9 && Recall(3) >= Recall(1) - 1e-9, "a head only adds candidates");
        Assert.Contains("exact answers by item norm: every top-10 item within the", output);
        Assert.InRange(results[0].GetProperty("exact_top10_max_norm_rank").GetInt32(), 0, items - 1);
        Assert.Equal(0, results[1].GetProperty("head_answers@10").GetDouble());
        Assert.InRange(results[3].GetProperty("head_answers@10").GetDouble(), 0, 1);

        // Re-rank factors: the same graph measured with each.
        var factors = Merx("index-bench", "--items", "300", "--indexes", "hnsw-f16,int8-scan", "--rerank", "1,3", "--queries", "20", "--seed", "3");
        Assert.True(factors.Code == 0, factors.Err);
        Assert.Contains("1k re-ranked", factors.Out);
        Assert.Contains("3k re-ranked", factors.Out);
        Assert.Contains("--rerank", Merx("index-bench", "--rerank", "0", "--items", "100").Err);
        var tolerances = Merx("index-bench", "--items", "300", "--indexes", "hnsw-f16", "--head", "32", "--head-tolerance", "0,0.5", "--queries", "200", "--seed", "3", "--json", P("tol.json"));
        Assert.True(tolerances.Code == 0, tolerances.Err);
        var measured = JsonDocument.Parse(File.ReadAllText(P("tol.json"))).RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.EndsWith("head tolerance 0", measured[0].GetProperty("settings").GetString());
        Assert.Equal(0, measured[0].GetProperty("head_on_record@100").GetDouble());   // 0: the head answers alone only with its proof
        Assert.InRange(measured[1].GetProperty("head_on_record@10").GetDouble(), 0, 1);
        Assert.Contains("--head-tolerance", Merx("index-bench", "--head-tolerance", "1", "--items", "100").Err);

        // The int8 copy's own rows, as Merx:ModelPrecision int8 serves them: the exact reference is the pass over those rows.
        var int8 = Merx("index-bench", "--vectors-from", P("t.db"), "--int8", "--indexes", "hnsw-i8,int8-scan", "--queries", "100", "--seed", "3", "--json", P("i8.json"));
        Assert.True(int8.Code == 0, int8.Err);
        var rows = JsonDocument.Parse(File.ReadAllText(P("i8.json"))).RootElement;
        Assert.Contains("(int8 copy) item vectors", rows.GetProperty("vectors").GetString());
        var measuredInt8 = rows.GetProperty("results").EnumerateArray().ToArray();
        Assert.InRange(measuredInt8[0].GetProperty("recall@10").GetDouble(), 0, 1);
        // The scan re-ranks with the same rows it quantized: it finds the int8 copy's exact top 10.
        Assert.InRange(measuredInt8[1].GetProperty("recall@10").GetDouble(), 0.99, 1.0);

        var missing = Merx("index-bench", "--vectors-from", P("t.db"), "--graph", P("none.usearch"), "--indexes", "hnsw-f16");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("no graph at", missing.Err);
        Assert.NotEqual(0, Merx("index-bench", "--graph", P("graph.usearch"), "--indexes", "hnsw-f16").Code);
        Assert.NotEqual(0, Merx("index-bench", "--expansion-search", "0", "--items", "100").Code);
        Assert.Contains("--head", Merx("index-bench", "--head", "-1", "--items", "100").Err);
    }
}
