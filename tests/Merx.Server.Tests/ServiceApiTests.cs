using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace Merx.Server.Tests;

[Collection(ShopCollection.Name)]
public sealed class ServiceApiTests(ShopStore shop)
{
    [Fact]
    public async Task OpenApi_document_lists_the_endpoints()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var text = await app.Client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/users/{id}/recommendations", text);
        Assert.Contains("/api/events", text);
        Assert.Contains("/api/feedback", text);
    }

    [Fact]
    public async Task Items_upserted_over_http_join_the_catalog_and_reach_users_as_new_items()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var catalog = app.Host.Current!.Catalog;
        var like = catalog.Item(catalog.IndexOf(app.Store.RecentEvents(app.Pseudonym("u30"), 1).Single().Item!))!;
        var item = new { id = "brand-new-1", title = "Brand new thing", category = like.CategoryPath, brand = like.Brand, price = like.Price, created_at = DateTimeOffset.UtcNow };
        var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items = new[] { item } }));
        Assert.Equal(HttpStatusCode.OK, status);
        app.Host.CatalogChanged();
        app.Host.Refresh();
        Assert.True(app.Host.Current!.Catalog.IndexOf("brand-new-1") >= 0);
        var (_, recs) = await app.GetAsync("/api/users/u30/recommendations?n=30&explore=false");
        var hit = recs.GetProperty("items").EnumerateArray().FirstOrDefault(i => i.GetProperty("item").GetString() == "brand-new-1");
        Assert.Equal(System.Text.Json.JsonValueKind.Object, hit.ValueKind);
        Assert.StartsWith("new in", hit.GetProperty("reason").GetString());
        var (bad, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items = new object[] { new { id = "ok-1" }, new { id = "bad", price = -3 } } }));
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Null(app.Store.GetItem("ok-1"));
    }

    [Fact]
    public async Task Forgetting_a_user_removes_their_events_and_served_lists()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new[] { new { user = "forget-me", item = "i1", kind = "view" }, new { user = "forget-me", item = "i2", kind = "purchase" } } }));
        var (_, recs) = await app.GetAsync("/api/users/forget-me/recommendations?n=3");
        var id = recs.GetProperty("recommendation_id").GetString()!;
        app.App.Services.GetRequiredService<Merx.Service.Serving.ServedLog>().Flush();
        Assert.NotNull(app.Store.GetServed(id));
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Delete, "/api/users/forget-me"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body.GetProperty("events_removed").GetInt64());
        Assert.Empty(app.Store.RecentEvents(app.Pseudonym("forget-me"), 10));
        Assert.Null(app.Store.GetServed(id));
        var (_, profile) = await app.GetAsync("/api/users/forget-me/profile");
        Assert.Equal(0, profile.GetProperty("events").GetInt32());
    }

    [Fact]
    public async Task Models_endpoint_lists_versions_and_marks_the_served_ones()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (status, body) = await app.GetAsync("/api/models");
        Assert.Equal(HttpStatusCode.OK, status);
        var models = body.GetProperty("models").EnumerateArray().ToArray();
        Assert.Contains(models, m => m.GetProperty("name").GetString() == "sasrec" && m.GetProperty("serving").GetBoolean());
        Assert.All(models, m => Assert.True(m.GetProperty("metrics").TryGetProperty("ndcg@10", out _)));
        var (conflictOrAccepted, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "nope" } }));
        Assert.Equal(HttpStatusCode.BadRequest, conflictOrAccepted);
        // A parametrised family with a setting out of range is refused the same way.
        (conflictOrAccepted, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "sasrec-ipw:9" } }));
        Assert.Equal(HttpStatusCode.BadRequest, conflictOrAccepted);
    }
}
