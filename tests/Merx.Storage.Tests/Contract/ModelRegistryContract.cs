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
}
