using System.Net;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;
using Merx.Service.Catalog;
using Merx.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Server.Tests;

/// <summary>Issue #19: text vectors stored with the catalog, encoded once per content, upserts encoded off the request path.</summary>
[Collection(ShopCollection.Name)]
public sealed class ItemTextVectorsTests(ShopStore shop)
{
    [Fact]
    public void Each_content_is_encoded_once_and_a_changed_item_again()
    {
        var dir = Directory.CreateTempSubdirectory("merx-text-");
        try
        {
            var path = Path.Combine(dir.FullName, "t.db");
            Item[] items =
            [
                new() { Id = "a", Title = "Waterproof hiking boots", Brand = "Acme" },
                new() { Id = "b", Title = "Pink lipstick" },
                new() { Id = "c", Price = 4 },                                        // no text: no vector
            ];
            using (var store = SqliteStore.Open(path))
            {
                store.UpsertItems(items);
                using var text = new ItemTextVectors(store);
                var first = text.VectorsFor(items)!;
                Assert.Equal([true, true, false], first.Present);
                Assert.Equal(2, text.Encoded);
                Assert.Equal(2, store.ReadItemVectors(TextEncoder.ModelId).Count);
            }
            using (var store = SqliteStore.Open(path))                                 // another process: nothing to encode
            {
                using var text = new ItemTextVectors(store);
                var again = text.VectorsFor(items)!;
                Assert.Equal(0, text.Encoded);
                Assert.Equal(store.ReadItemVectors(TextEncoder.ModelId)[ItemText.Hash(items[0], TextEncoder.ModelId)!], again.Of(0).ToArray());
                text.Enqueue([items[1] with { Title = "Pink lipstick, matte" }, items[2]]);
                Assert.Equal(1, text.Pending);                                        // the item without text is not queued
                Assert.Equal(1, text.Drain());
                Assert.Equal(3, store.ReadItemVectors(TextEncoder.ModelId).Count);
                Assert.Null(text.VectorsFor([items[2]]));                              // nothing to read: the encoder is not even needed
            }
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public async Task Items_upserted_over_http_get_their_text_vector_in_the_background()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("text-vectors.db"));
        var item = new { id = "text-new-1", title = "Cordless drill with two batteries", description = "A compact drill for home repairs." };
        var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items = new[] { item } }));
        Assert.Equal(HttpStatusCode.OK, status);
        var hash = ItemText.Hash(app.Store.GetItem("text-new-1")!, TextEncoder.ModelId)!;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!app.Store.ReadItemVectors(TextEncoder.ModelId).ContainsKey(hash) && DateTime.UtcNow < deadline) await Task.Delay(100);
        var vector = app.Store.ReadItemVectors(TextEncoder.ModelId)[hash];
        Assert.Equal(384, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
        Assert.Equal(0, app.App.Services.GetRequiredService<ItemTextVectors>().Pending);
    }

    [Fact]
    public async Task A_new_item_whose_attributes_match_nothing_reaches_a_user_through_its_text()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("text-new-items.db"));
        var now = DateTimeOffset.UtcNow;
        object[] items =
        [
            new { id = "tn-anchor", title = "Cordless drill with two lithium batteries", category = new[] { "Tools", "Drills" }, brand = "Acme", created_at = now.AddDays(-400) },
            new { id = "tn-new", title = "Battery powered drill driver for home repairs", category = new[] { "Workshop", "Misc" }, brand = "Zed", created_at = now },
            new { id = "tn-decoy", title = "Silk evening dress in midnight blue", category = new[] { "Workshop", "Misc" }, brand = "Zed", created_at = now },
        ];
        var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items }));
        Assert.Equal(HttpStatusCode.OK, status);
        (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new[] { new { user = "tn-user", item = "tn-anchor", kind = "view" } } }));
        Assert.Equal(HttpStatusCode.OK, status);
        var hashes = new[] { "tn-anchor", "tn-new", "tn-decoy" }.Select(id => ItemText.Hash(app.Store.GetItem(id)!, TextEncoder.ModelId)!).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!hashes.All(app.Store.ReadItemVectors(TextEncoder.ModelId).ContainsKey) && DateTime.UtcNow < deadline) await Task.Delay(100);
        var stored = app.Store.ReadItemVectors(TextEncoder.ModelId);
        var cosine = stored[hashes[0]].Zip(stored[hashes[1]], (a, b) => a * b).Sum();
        app.Host.CatalogChanged();
        var snapshot = app.Host.Refresh();
        Assert.True(snapshot.NewItems.UsesText);

        var (_, recs) = await app.GetAsync("/api/users/tn-user/recommendations?n=30&explore=false");
        var found = recs.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("item").GetString()!, i => i.GetProperty("reason").GetString());
        Assert.True(found.TryGetValue("tn-new", out var reason), $"the drill driver (text cosine {cosine:F3} with the drill viewed) was not recommended");
        Assert.Equal("new, and much like Cordless drill with two lithium batteries", reason);
        Assert.False(found.TryGetValue("tn-decoy", out var decoy) && decoy!.StartsWith("new", StringComparison.Ordinal), "the dress came from the new-item source");
    }

    [Fact]
    public async Task Items_sent_without_tags_get_the_tags_of_the_items_nearest_their_text()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("text-tags.db"));
        var tagged = new object[]
        {
            new { id = "tt-drill", title = "Cordless drill with two batteries", tags = new[] { "power tools" }, category = new[] { "Tools" } },
            new { id = "tt-lipstick", title = "Matte pink lipstick", tags = new[] { "makeup" }, category = new[] { "Beauty" } },
        };
        var (status, first) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items = tagged }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(first.TryGetProperty("suggested_tags", out _));        // every item came with tags
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (app.Store.ReadItemVectors(TextEncoder.ModelId).Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
        app.Host.CatalogChanged();
        app.Host.Refresh();
        var (_, answer) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items = new[] { new { id = "tt-new", title = "Battery powered impact driver for screws" } } }));
        var tags = answer.GetProperty("suggested_tags").GetProperty("tt-new").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Equal(["Tools", "power tools"], tags.Take(2).Order(StringComparer.Ordinal));
    }
}
