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
            items = encoder.ItemVectors.Length / encoder.Dimension;
            using var graph = HnswIndex.Build(() => encoder.ItemVectors, encoder.Dimension, new HnswOptions(HnswStorage.Float16));
            graph.Save(P("graph.usearch"));
        }

        var (code, output, error) = Merx("index-bench", "--vectors-from", P("t.db"), "--graph", P("graph.usearch"), "--indexes", "hnsw-f16",
            "--expansion-search", "8,128", "--queries", "100", "--seed", "3", "--json", P("r.json"));
        Assert.True(code == 0, error);
        Assert.Contains("graph read from graph.usearch", output);
        using var json = JsonDocument.Parse(File.ReadAllText(P("r.json")));
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(2, results.Length);
        Assert.All(results, r => Assert.Equal(items, r.GetProperty("items").GetInt32()));
        Assert.Contains("ef_search 8,", results[0].GetProperty("settings").GetString());
        Assert.Contains("ef_search 128,", results[1].GetProperty("settings").GetString());
        var wide = results[1].GetProperty("recall@10").GetDouble();
        Assert.InRange(wide, 0.9, 1.0);
        Assert.True(results[0].GetProperty("recall@10").GetDouble() <= wide + 1e-9);

        var missing = Merx("index-bench", "--vectors-from", P("t.db"), "--graph", P("none.usearch"), "--indexes", "hnsw-f16");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("no graph at", missing.Err);
        Assert.NotEqual(0, Merx("index-bench", "--graph", P("graph.usearch"), "--indexes", "hnsw-f16").Code);
        Assert.NotEqual(0, Merx("index-bench", "--expansion-search", "0", "--items", "100").Code);
    }
}
