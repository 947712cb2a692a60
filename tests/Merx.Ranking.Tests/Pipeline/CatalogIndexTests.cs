using Merx.Core.Domain;
using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Tests.Pipeline;

public class CatalogIndexTests
{
    [Fact]
    public void Builder_KeepsTheColumns_AndReadsFullEntriesThroughTheStore()
    {
        var ids = new[] { "a", "b", "c", "d" };
        Item?[] items =
        [
            new Item { Id = "a", Title = "Rose serum", Description = "long text", CategoryPath = ["Beauty", "Serums"], Brand = "Solbel", Shop = "S1", Price = 12, Tags = ["vegan"], CreatedAt = DateTimeOffset.FromUnixTimeSeconds(1000) },
            null,                                                               // known only from events
            new Item { Id = "c", Title = "Lip gloss", CategoryPath = ["Beauty", "Lips"], Brand = "Solbel", Price = 30, InStock = false },
            new Item { Id = "d", CategoryPath = ["Home"], Price = 5 },
        ];
        var store = new Dictionary<string, Item>(StringComparer.Ordinal);
        foreach (var item in items) if (item is not null) store[item.Id] = item;
        var entries = new CountingEntries(store);
        var builder = new CatalogIndex.Builder(entries);
        for (var i = 0; i < ids.Length; i++) builder.Add(ids[i], items[i]);
        var lean = builder.Build();
        var held = new CatalogIndex(ids, items);

        foreach (var catalog in new[] { lean, held })
        {
            Assert.Equal(4, catalog.Count);
            Assert.Equal([true, false, true, true], Enumerable.Range(0, 4).Select(catalog.Cataloged));
            Assert.Equal(["Rose serum", null, "Lip gloss", null], Enumerable.Range(0, 4).Select(catalog.Title));
            Assert.Equal("d", catalog.Label(3));
            Assert.Equal("Serums", catalog.CategoryName(catalog.Category(0)));
            Assert.Equal(catalog.Brand(0), catalog.Brand(2));
            Assert.Equal(-1, catalog.Brand(3));
            Assert.False(catalog.InStock(2));
            Assert.True(catalog.InStock(1));
            Assert.Equal(1000, catalog.CreatedAt(0));
            Assert.Equal(long.MinValue, catalog.CreatedAt(3));
            Assert.Equal([0, 2], catalog.ItemsInCategory("Beauty")!);
            Assert.True(catalog.PriceBand(2) > catalog.PriceBand(3));
            Assert.Equal(-1, catalog.PriceBand(1));
            Assert.Equal("long text", catalog.Item(0)!.Description);
            Assert.Null(catalog.Item(1));
            var seen = new List<int>();
            catalog.ForEachEntry((i, item) => { Assert.Equal(catalog.Id(i), item.Id); seen.Add(i); });
            Assert.Equal([0, 2, 3], seen.Order());
        }
        Assert.Equal(3, entries.Reads);          // the lean catalog read its entries from the store: two items, one scan

        // An entry the store gained after the catalog was built is not one of the catalog's items.
        store["e"] = new Item { Id = "e", Title = "New" };
        var count = 0;
        lean.ForEachEntry((_, _) => count++);
        Assert.Equal(3, count);
        Assert.Same(lean.Id(0), lean.SharedId(new string("a".AsSpan())));
        Assert.Throws<ArgumentException>(() => { var b = new CatalogIndex.Builder(null); b.Add("x", null); b.Add("x", null); });
    }

    private sealed class CountingEntries(Dictionary<string, Item> store) : ICatalogEntries
    {
        public int Reads;
        public Item? Get(string id) { Reads++; return store.GetValueOrDefault(id); }
        public void ForEach(Action<string, Item> visit) { Reads++; foreach (var (id, item) in store) visit(id, item); }
    }
}
