using System.Security.Cryptography;
using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The model registry role (<see cref="IModelRegistry"/>): versions numbered across names,
/// the latest per name, payloads stored with their SHA-256 and metrics that must be JSON.
/// </summary>
public abstract class ModelRegistryContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void Models_PublishLatestAndList()
    {
        var store = NewStore();
        Assert.Null(store.LatestModel());
        var v1 = store.PublishModel("sasrec", [1], "{\"ndcg@10\":0.05}");
        var v2 = store.PublishModel("itemknn", [2, 2], "{}");
        var v3 = store.PublishModel("sasrec", [3, 3, 3], "{\"ndcg@10\":0.06}");
        Assert.True(v1 < v2 && v2 < v3);
        Assert.Equal(v3, store.LatestModel()!.Version);
        Assert.Equal(v2, store.LatestModel("itemknn")!.Version);
        Assert.Null(store.LatestModel("ease"));
        var all = store.ListModels();
        Assert.Equal([v1, v2, v3], all.Select(m => m.Version));
        Assert.Equal(["sasrec", "itemknn", "sasrec"], all.Select(m => m.Name));
        Assert.Equal("{\"ndcg@10\":0.06}", all[2].MetricsJson);
        Assert.Equal(3, all[2].SizeBytes);
        Assert.True(all[0].CreatedAt <= all[2].CreatedAt);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - all[2].CreatedAt).TotalMinutes) < 10);
    }

    [SkippableFact]
    public void Models_PayloadIsStoredWithItsSha256()
    {
        var store = NewStore();
        var payload = new byte[100_000];
        new Random(13).NextBytes(payload);
        var v = store.PublishModel("big", payload, "{\"hr@10\":0.1}");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), store.LatestModel("big")!.Sha256);
        Assert.Equal(payload, store.ReadModelPayload(v));
        var empty = store.PublishModel("empty", [], "{}");
        Assert.Empty(store.ReadModelPayload(empty));
        Assert.Throws<KeyNotFoundException>(() => store.ReadModelPayload(v + 100));
        Assert.Throws<ArgumentException>(() => store.PublishModel("bad", [1], "{not json"));
        Assert.Equal(2, store.ListModels().Count);
    }

    [SkippableFact]
    public void Models_PayloadsLargerThanAChunk_AreStoredInChunks_AndStreamedBack()
    {
        var store = NewStore();
        var keep = ModelChunks.ChunkBytes;
        try
        {
            ModelChunks.ChunkBytes = 1_000;
            var payload = new byte[3_500];
            new Random(17).NextBytes(payload);
            // Written in pieces of every size, read back whole and in small reads.
            var v = store.PublishModel("chunked", s => { s.Write(payload, 0, 1); s.Write(payload, 1, 1_999); s.Write(payload.AsSpan(2_000)); }, "{\"n\":1}");
            var version = store.LatestModel("chunked")!;
            Assert.Equal((v, 3_500L, Convert.ToHexStringLower(SHA256.HashData(payload))), (version.Version, version.SizeBytes, version.Sha256));
            Assert.Equal(payload, store.ReadModelPayload(v));
            using (var stream = store.OpenModelPayload(v))
            {
                var back = new List<byte>();
                var buffer = new byte[7];
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) back.AddRange(buffer.AsSpan(0, n).ToArray());
                Assert.Equal(payload, back);
            }
            // At the chunk size and one byte past it.
            foreach (var size in new[] { 1_000, 1_001, 2_000 })
            {
                var exact = payload[..size];
                Assert.Equal(exact, store.ReadModelPayload(store.PublishModel("edge", exact, "{}")));
            }
            // A writer that fails part-way publishes nothing: no version, no chunks read back under a later number.
            var before = store.ListModels().Count;
            Assert.Throws<IOException>(() => store.PublishModel("broken", s => { s.Write(payload); throw new IOException("disk full"); }, "{}"));
            Assert.Equal(before, store.ListModels().Count);
            Assert.Null(store.LatestModel("broken"));
            Assert.Equal(payload[..1_001], store.ReadModelPayload(store.PublishModel("after", payload[..1_001], "{}")));
        }
        finally { ModelChunks.ChunkBytes = keep; }
    }
}
