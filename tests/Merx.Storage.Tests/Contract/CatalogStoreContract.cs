using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The catalog role (<see cref="ICatalogStore"/>): entries round-trip field by field and are
/// replaced whole, stock and deletion change only the catalog, and items first named by events keep
/// their index. Uses the events role to set up and to observe (a loaded data set, counts).
/// </summary>
public abstract class CatalogStoreContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
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

    [SkippableFact]
    public void UpsertItems_ReplacesTheWholeRecord()
    {
        var store = NewStore();
        store.UpsertItems([FullItem("sku-1")]);
        var replacement = new Item { Id = "sku-1", Title = "renamed", Price = 5 };
        store.UpsertItems([replacement]);
        AssertSameItem(replacement, store.GetItem("sku-1"));
        Assert.Equal(1, store.GetStats().ItemsInCatalog);
    }

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
    public void ReadItems_lists_catalog_and_event_only_items()
    {
        var store = NewStore();
        store.UpsertItems([new Item { Id = "c1", Title = "Catalogued" }]);
        store.AppendEvents([new("u1", "e1", EventKind.View, 1), new("u2", "c1", EventKind.View, 2), new("u1", "e2", EventKind.View, 3)]);
        var items = store.ReadItems();
        Assert.Equal(["c1", "e1", "e2"], items.Select(i => i.Id));
        Assert.Equal("Catalogued", items[0].Item?.Title);
        Assert.Null(items[1].Item);
    }

    [SkippableFact]
    public void ScanItems_visits_a_large_catalog_once_in_key_order_and_the_visitor_may_write()
    {
        // More items than SQLite reads per turn of its lock (20,000), so the scan crosses batches.
        var store = NewStore();
        const int n = 20_500;
        store.UpsertItems(Enumerable.Range(0, n).Select(i => new Item { Id = $"s{i:D5}", Title = "t" + i, CategoryPath = ["C" + i % 7] }));
        store.AppendEvents([new("u1", "only-from-events", EventKind.View, 1)]);
        var seen = new List<string>();
        store.ScanItems((id, item) =>
        {
            seen.Add(id);
            if (id.StartsWith('s')) Assert.Equal("t" + int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture), item!.Title);
            else Assert.Null(item);
            // A batch's read lock is released before the visitor runs (SQLite); a write from it does not deadlock.
            if (seen.Count == 1) store.SetInStock("s00001", false);
        });
        Assert.Equal(n + 1, seen.Count);
        Assert.Equal(n + 1, seen.Distinct().Count());
        Assert.Equal([.. Enumerable.Range(0, n).Select(i => $"s{i:D5}"), "only-from-events"], seen);
        Assert.False(store.GetItem("s00001")!.InStock);
    }

    [SkippableFact]
    public void Bulk_reads_share_equal_values_among_items_and_keep_every_field()
    {
        // At 1M items each item's own copies of its category path, brand, shop, tags and attributes were 0.8 GB
        // of the serving heap (bench/results/serving-scale.md); a bulk read shares equal values instead.
        var store = NewStore();
        var a = FullItem("sku-a");
        var b = FullItem("sku-b") with { Title = "Another serum", Tags = ["vegan"] };
        var c = FullItem("sku-c") with { Brand = "Other", Attributes = new Dictionary<string, string> { ["size"] = "50 ml" } };
        store.UpsertItems([a, b, c]);
        var read = store.ReadItems().ToDictionary(i => i.Id, i => i.Item!);
        var loaded = store.LoadDataset().Catalog.Where(i => i is not null).ToDictionary(i => i!.Id, i => i!);
        // Without item text: the same items, everything but the title and description.
        var lean = store.LoadDataset(itemText: false).Catalog.Where(i => i is not null).ToDictionary(i => i!.Id, i => i!);
        foreach (var item in new[] { a, b, c }) AssertSameItem(item with { Title = null, Description = null }, lean[item.Id]);
        Assert.NotNull(a.Title);
        foreach (var items in new[] { read, loaded })
        {
            AssertSameItem(a, items["sku-a"]);
            AssertSameItem(b, items["sku-b"]);
            AssertSameItem(c, items["sku-c"]);
            Assert.Same(items["sku-a"].CategoryPath, items["sku-b"].CategoryPath);
            Assert.Same(items["sku-a"].Brand, items["sku-b"].Brand);
            Assert.Same(items["sku-a"].Attributes, items["sku-b"].Attributes);
            Assert.NotSame(items["sku-a"].Attributes, items["sku-c"].Attributes);
            Assert.Same(items["sku-a"].Attributes.Keys.First(k => k == "size"), items["sku-c"].Attributes.Keys.Single());
            Assert.Same(items["sku-a"].Tags[0], items["sku-b"].Tags[0]);
        }
    }

    [SkippableFact]
    public void ItemVectors_round_trip_by_encoder_and_content_hash_and_a_bad_batch_writes_nothing()
    {
        var store = NewStore();
        Assert.Empty(store.ReadItemVectors("enc-a"));
        Assert.Equal(2, store.StoreItemVectors("enc-a", new Dictionary<string, float[]> { ["h1"] = [1f, -0.5f, 0.25f], ["h2"] = [0f, 1f, 2e-7f] }));
        Assert.Equal(1, store.StoreItemVectors("enc-b", new Dictionary<string, float[]> { ["h1"] = [9f, 9f] }));   // another encoder, another length
        Assert.Equal(1, store.StoreItemVectors("enc-a", new Dictionary<string, float[]> { ["h2"] = [3f, 4f, 5f] }));   // replaces
        var a = store.ReadItemVectors("enc-a");
        Assert.Equal(["h1", "h2"], a.Keys.Order());
        Assert.Equal([1f, -0.5f, 0.25f], a["h1"]);
        Assert.Equal([3f, 4f, 5f], a["h2"]);
        Assert.Equal([9f, 9f], store.ReadItemVectors("enc-b")["h1"]);

        // Each bad batch names its fault and leaves the stored vectors as they were.
        Dictionary<string, float[]>[] bad =
        [
            new() { ["h3"] = [1f, 2f, 3f], ["h4"] = [1f, float.NaN, 3f] },
            new() { ["h3"] = [1f, 2f, 3f], ["h4"] = [1f, 2f] },
            new() { ["h3"] = [1f, 2f, 3f], [" "] = [1f, 2f, 3f] },
            new() { ["h3"] = [1f, 2f, 3f, 4f] },                                     // stored enc-a vectors have 3 entries
        ];
        foreach (var batch in bad)
        {
            var e = Assert.Throws<ArgumentException>(() => store.StoreItemVectors("enc-a", batch));
            Assert.Contains("nothing from this batch was written", e.Message);
        }
        Assert.Equal(["h1", "h2"], store.ReadItemVectors("enc-a").Keys.Order());
        Assert.Equal(0, store.StoreItemVectors("enc-a", new Dictionary<string, float[]>()));
    }

    [SkippableFact]
    public void ItemImages_link_catalog_items_to_a_content_hash_survive_upserts_and_a_bad_batch_writes_nothing()
    {
        var store = NewStore();
        store.UpsertItems([new Item { Id = "p1", Title = "one" }, new Item { Id = "p2" }, new Item { Id = "p3" }]);
        store.AppendEvents([new RawEvent("u1", "only-in-events", EventKind.View, 100)]);
        Assert.Empty(store.ReadItemImages("img-a"));
        Assert.Equal(2, store.SetItemImages("img-a", new Dictionary<string, string> { ["p1"] = "h1", ["p2"] = "h2" }));
        Assert.Equal(1, store.SetItemImages("img-b", new Dictionary<string, string> { ["p3"] = "h9" }));
        Assert.Equal(1, store.SetItemImages("img-a", new Dictionary<string, string> { ["p2"] = "h1" }));      // replaces p2's link
        Assert.Equal(new Dictionary<string, string> { ["p1"] = "h1", ["p2"] = "h1" }, store.ReadItemImages("img-a"));
        Assert.Equal(new Dictionary<string, string> { ["p3"] = "h9" }, store.ReadItemImages("img-b"));

        // An upsert replaces the item's fields and keeps its image; deleting the catalog entry clears it.
        store.UpsertItems([new Item { Id = "p1", Title = "renamed" }]);
        Assert.Equal("h1", store.ReadItemImages("img-a")["p1"]);
        Assert.True(store.DeleteItem("p2"));
        store.UpsertItems([new Item { Id = "p2" }]);
        Assert.Equal(["p1"], store.ReadItemImages("img-a").Keys);

        // Each bad batch names its fault and writes nothing, not even its good links.
        (Dictionary<string, string> Batch, string Fault)[] bad =
        [
            (new() { ["p3"] = "h5", ["nope"] = "h6" }, "no catalog item 'nope'"),
            (new() { ["p3"] = "h5", ["only-in-events"] = "h6" }, "no catalog item 'only-in-events'"),   // known from events only
            (new() { ["p3"] = "h5", ["p2"] = " " }, "empty content hash"),
            (new() { ["p3"] = "h5", ["p2"] = new string('a', ItemVectorValidation.MaxHashLength + 1) }, "longer than"),
        ];
        foreach (var (batch, fault) in bad)
        {
            var e = Assert.Throws<ArgumentException>(() => store.SetItemImages("img-a", batch));
            Assert.Contains(fault, e.Message);
            Assert.Contains("nothing from this batch was written", e.Message);
        }
        Assert.Equal(new Dictionary<string, string> { ["p1"] = "h1" }, store.ReadItemImages("img-a"));
        Assert.Equal(new Dictionary<string, string> { ["p3"] = "h9" }, store.ReadItemImages("img-b"));
        Assert.Equal(0, store.SetItemImages("img-a", new Dictionary<string, string>()));

        Assert.True(store.RemoveItemImage("p1"));
        Assert.False(store.RemoveItemImage("p1"));
        Assert.False(store.RemoveItemImage("nope"));
        Assert.Empty(store.ReadItemImages("img-a"));
        Assert.Equal("renamed", store.GetItem("p1")!.Title);                                                   // the item itself stays
    }
}
