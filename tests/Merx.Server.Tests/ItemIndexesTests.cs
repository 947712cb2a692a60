using Merx.Core.Contracts;
using Merx.Evaluation.Retrieval;
using Merx.Ranking.Retrieval;
using Merx.Service.Serving;

namespace Merx.Server.Tests;

/// <summary>Issue 21: the serving item index is persisted per model version and falls back to the int8 scan past its build budget.</summary>
public sealed class ItemIndexesTests
{
    private sealed class Vectors(int n, int d) : IUserEncoder
    {
        private readonly float[] _v = ClusteredVectors.Items(n, d, seed: 3);
        public int Dimension => d;
        public Merx.Numerics.VectorTable ItemVectors => Merx.Numerics.VectorTable.OfFloats(_v, n, d);
        public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector) => throw new NotSupportedException();
    }

    private sealed class Lines : IProgress<string>
    {
        public List<string> All { get; } = [];
        public void Report(string value) => All.Add(value);
    }

    [Fact]
    public void AnHnswGraph_IsWrittenOnce_ThenReadForTheSameVersion()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"merx-indexes-{Guid.NewGuid():N}");
        try
        {
            var enc = new Vectors(2000, 16);
            var settings = new ItemIndexSettings(Directory: dir);
            var first = Assert.IsType<HnswIndex>(ItemIndexes.Build(enc, settings, "v7-abc"));
            var file = Path.Combine(dir, "v7-abc.hnsw.usearch");
            Assert.True(File.Exists(file));
            var stamp = File.GetLastWriteTimeUtc(file);
            var second = Assert.IsType<HnswIndex>(ItemIndexes.Build(enc, settings, "v7-abc"));
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));
            var q = ClusteredVectors.Queries(2000, 16, 1, seed: 3);
            Assert.Equal(first.Search(q, 10), second.Search(q, 10));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ABuildPastItsBudget_ServesThroughTheInt8Scan_AndAnUnknownKindIsRefused()
    {
        var enc = new Vectors(500, 16);
        Assert.IsType<Int8ScanIndex>(ItemIndexes.Build(enc, new ItemIndexSettings(BuildSeconds: 0)));
        Assert.IsType<IvfIndex>(ItemIndexes.Build(enc, new ItemIndexSettings(Kind: "ivf")));
        Assert.Equal(HnswStorage.Int8, Assert.IsType<HnswIndex>(ItemIndexes.Build(enc, new ItemIndexSettings(Kind: "hnsw-i8"))).Options.Storage);
        Assert.Throws<ArgumentException>(() => ItemIndexes.Build(enc, new ItemIndexSettings(Kind: "faiss")));
    }

    [Fact]
    public void TheHeadAndTheSearchWidth_FollowTheSettings_OrTheCatalogsSize()
    {
        var enc = new Vectors(500, 16);
        using var byDefault = Assert.IsType<HnswIndex>(ItemIndexes.Build(enc, new ItemIndexSettings()));
        Assert.Equal(500, byDefault.HeadCount);
        Assert.Equal(HnswOptions.ExpansionSearchFor(500), byDefault.Options.ExpansionSearch);
        var lines = new Lines();
        using var set = Assert.IsType<HnswIndex>(ItemIndexes.Build(enc, new ItemIndexSettings(HeadItems: 0, SearchWidth: 40, Progress: lines)));
        Assert.Equal(0, set.HeadCount);
        Assert.Equal(40, set.Options.ExpansionSearch);
        Assert.Contains("hnsw: 500 items built; search width 40, head 0 items", Assert.Single(lines.All));
        // MerxServerOptions → settings
        var settings = ItemIndexes.Settings(new Merx.Service.MerxServerOptions { Db = "x.db", IndexHeadItems = 7, IndexSearchWidth = 99 });
        Assert.Equal((7, 99), (settings.HeadItems, settings.SearchWidth));
    }
}
