using System.Security.Cryptography;
using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests;

public abstract partial class StoreContractTests
{
    [Fact]
    public void UpsertItems_RoundTripsEveryField()
    {
        var store = NewStore();
        var full = FullItem("sku-1");
        var bare = new Item { Id = "sku-2" };
        Assert.Equal(2, store.UpsertItems([full, bare]));
        AssertSameItem(full, store.GetItem("sku-1"));
        AssertSameItem(bare, store.GetItem("sku-2"));
        Assert.Null(store.GetItem("sku-3"));
    }

    [Fact]
    public void UpsertItems_ReplacesTheWholeRecord()
    {
        var store = NewStore();
        store.UpsertItems([FullItem("sku-1")]);
        var replacement = new Item { Id = "sku-1", Title = "renamed", Price = 5 };
        store.UpsertItems([replacement]);
        AssertSameItem(replacement, store.GetItem("sku-1"));
        Assert.Equal(1, store.GetStats().ItemsInCatalog);
    }

    [Fact]
    public void Catalog_OfAnItemFirstSeenInEvents_KeepsItsIndex()
    {
        var store = NewStore();
        store.AppendEvents([new("u1", "late", EventKind.View, 1), new("u1", "other", EventKind.View, 2)]);
        store.UpsertItems([new Item { Id = "late", Brand = "b" }]);
        store.AppendEvents([new("u2", "late", EventKind.Purchase, 3)]);
        var d = store.LoadDataset();
        Assert.Equal(2, d.ItemCount);
        Assert.Equal("b", d.Catalog[d.Items.IndexOf("late")]!.Brand);
        Assert.Null(d.Catalog[d.Items.IndexOf("other")]);
        Assert.Equal([d.Items.IndexOf("late"), d.Items.IndexOf("other"), d.Items.IndexOf("late")], d.Events.Item);
    }

    [Fact]
    public void SetInStock_AndDeleteItem_ChangeOnlyTheCatalog()
    {
        var store = NewStore();
        store.UpsertItems(Catalog(4));
        var events = new List<RawEvent> { new("u1", "i1", EventKind.View, 1), new("u1", "i2", EventKind.View, 2) };
        store.AppendEvents(events);
        Assert.True(store.SetInStock("i1", false));
        Assert.False(store.GetItem("i1")!.InStock);
        Assert.True(store.SetInStock("i1", true));
        Assert.True(store.GetItem("i1")!.InStock);
        Assert.False(store.SetInStock("nope", false));

        Assert.True(store.DeleteItem("i1"));
        Assert.True(store.DeleteItem("i3"));
        Assert.False(store.DeleteItem("i1"));
        Assert.Null(store.GetItem("i1"));
        var remaining = Catalog(4).Where(i => i.Id is "i0" or "i2").ToList();
        var reference = Reference(remaining, [], events);
        AssertStatsMatch(reference, store.GetStats());
        Assert.Equal(reference.Items.Ids.Order(), store.LoadDataset().Items.Ids.Order());
        Assert.Equal(2, store.LoadDataset().Events.Count);
    }

    [Fact]
    public void UpsertUsers_StoresAndReplacesProfiles()
    {
        var store = NewStore();
        store.UpsertUsers(Profiles("a", "b"));
        store.UpsertUsers([new UserProfile { Id = "a", Attributes = new Dictionary<string, string> { ["region"] = "north" } }]);
        store.UpsertUsers([new UserProfile { Id = "c" }]);
        var d = store.LoadDataset();
        Assert.Equal(["a", "b", "c"], d.Users.Ids);
        Assert.Equal("north", d.Profiles[0]!.Attributes["region"]);
        Assert.False(d.Profiles[0]!.Attributes.ContainsKey("age_band"));
        Assert.Equal("30s", d.Profiles[1]!.Attributes["age_band"]);
        Assert.Empty(d.Profiles[2]!.Attributes);
        Assert.Equal(3, store.GetStats().UsersWithProfile);
    }

    [Fact]
    public void UpsertUsers_BetweenAppends_KeepsTheUsersHistory()
    {
        var store = NewStore();
        store.AppendEvents([new("a", "i1", EventKind.View, 1), new("a", "i2", EventKind.View, 2)]);
        store.UpsertUsers(Profiles("a"));
        store.AppendEvents([new("a", "i3", EventKind.Purchase, 3)]);
        Assert.Equal(["i3", "i2", "i1"], store.RecentEvents("a", 10).Select(e => e.Item));
        Assert.Equal(3, store.DeleteUser("a"));
        Assert.Equal(0, store.GetStats().Events);
    }

    [Fact]
    public void DeleteUser_RemovesEventsAndProfile_AndStatsNoLongerCountThem()
    {
        var store = NewStore();
        var events = Events(200, seed: 12);
        events.Add(new RawEvent("u3", "only-u3", EventKind.Purchase, 9, 1f));
        store.UpsertUsers(Profiles("u3", "u4"));
        store.AppendEvents(events);
        var removed = store.DeleteUser("u3");
        Assert.Equal(events.Count(e => e.User == "u3"), removed);
        Assert.Equal(0, store.DeleteUser("u3"));
        Assert.Equal(0, store.DeleteUser("never-seen"));

        var kept = events.Where(e => e.User != "u3").ToList();
        var reference = Reference([], Profiles("u3", "u4").Where(p => p.Id != "u3"), kept);
        AssertStatsMatch(reference, store.GetStats());
        Assert.Empty(store.RecentEvents("u3", 10));
        var d = store.LoadDataset();
        Assert.Equal(-1, d.Users.IndexOf("u3"));
        Assert.Equal(-1, d.Items.IndexOf("only-u3"));
        Assert.Equal(reference.Events.Count, d.Events.Count);

        var again = store.AppendEvents([new("u3", "only-u3", EventKind.View, 10)]);
        Assert.Equal(1, again.NewUsers);
        Assert.Equal([new RawEvent("u3", "only-u3", EventKind.View, 10)], store.RecentEvents("u3", 10));
    }

    [Fact]
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

    [Fact]
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

    [Fact]
    public void ImportLog_RecordsRunsInOrder()
    {
        var store = NewStore();
        store.RecordImport("data/a.csv", "csv", "1000 accepted, 2 skipped (bad kind)", 1000, 2);
        store.RecordImport("data/b.jsonl", "jsonl", "ok", 5, 0);
        var log = store.ListImports();
        Assert.Equal(2, log.Count);
        Assert.Equal(("data/a.csv", "csv", "1000 accepted, 2 skipped (bad kind)", 1000L, 2L), (log[0].Source, log[0].Format, log[0].Summary, log[0].Accepted, log[0].Skipped));
        Assert.Equal("jsonl", log[1].Format);
        Assert.True(log[0].Id < log[1].Id);
    }
}
