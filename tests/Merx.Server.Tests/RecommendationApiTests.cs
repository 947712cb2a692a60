using Merx.Storage;
using System.Net;
using System.Text.Json;

namespace Merx.Server.Tests;

[Collection(ShopCollection.Name)]
public sealed class RecommendationApiTests(ShopStore shop)
{
    internal static string[] Items(JsonElement body) => body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();

    [Fact]
    public async Task Ready_and_a_known_user_gets_n_explained_items()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (ready, _) = await app.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready);
        var (status, body) = await app.GetAsync("/api/users/u5/recommendations?n=7");
        Assert.Equal(HttpStatusCode.OK, status);
        var items = body.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(7, items.Length);
        Assert.All(items, i => Assert.False(string.IsNullOrWhiteSpace(i.GetProperty("reason").GetString())));
        Assert.Equal(7, items.Select(i => i.GetProperty("item").GetString()).Distinct().Count());
        Assert.StartsWith("r_", body.GetProperty("recommendation_id").GetString());
        Assert.Equal("full", body.GetProperty("path").GetString());
        Assert.Equal("sasrec", body.GetProperty("model").GetProperty("name").GetString());
        // Nothing the user already interacted with comes back.
        var seen = app.Store.RecentEvents(app.Pseudonym("u5"), 500).Select(e => e.Item).ToHashSet();
        Assert.DoesNotContain(Items(body), seen.Contains);
    }

    [Fact]
    public async Task An_accepted_event_changes_the_users_next_recommendations_at_once()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        // A brand-new user: cold start (trending + exploration).
        var (_, before) = await app.GetAsync("/api/users/rt-new-user/recommendations?n=10");
        Assert.Equal("cold-start", before.GetProperty("path").GetString());
        var target = Items(before)[0];

        var (posted, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new[] { new { user = "rt-new-user", item = target, kind = "purchase" } } }));
        Assert.Equal(HttpStatusCode.OK, posted);

        var (_, after) = await app.GetAsync("/api/users/rt-new-user/recommendations?n=10");
        Assert.Equal("full", after.GetProperty("path").GetString());
        Assert.DoesNotContain(target, Items(after));
        Assert.NotEqual(Items(before), Items(after));
        Assert.Contains(after.GetProperty("items").EnumerateArray(), i => i.GetProperty("source").GetString() is "transformer" or "itemknn");
    }

    [Fact]
    public async Task Category_filter_and_exclusions_are_honoured()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var snapshot = app.Host.Current!;
        var category = snapshot.Catalog.CategoryName(snapshot.Catalog.Category(0));
        var (status, body) = await app.GetAsync($"/api/users/u9/recommendations?n=5&category={Uri.EscapeDataString(category)}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEmpty(Items(body));
        Assert.All(body.GetProperty("items").EnumerateArray(), i => Assert.Equal(category, i.GetProperty("category").GetString()));

        var (_, first) = await app.GetAsync("/api/users/u9/recommendations?n=5");
        var excluded = Items(first).Take(2).ToArray();
        var (_, second) = await app.GetAsync($"/api/users/u9/recommendations?n=5&exclude={string.Join(',', excluded)}");
        Assert.DoesNotContain(Items(second), excluded.Contains);
    }

    [Fact]
    public async Task Out_of_stock_items_are_never_recommended()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (_, first) = await app.GetAsync("/api/users/u11/recommendations?n=5");
        var top = Items(first)[0];
        try
        {
            var (status, _) = await app.SendAsync(app.Write(HttpMethod.Put, $"/api/items/{top}/stock", new { in_stock = false }));
            Assert.Equal(HttpStatusCode.OK, status);
            for (var k = 0; k < 5; k++)
            {
                var (_, again) = await app.GetAsync("/api/users/u11/recommendations?n=20");
                Assert.DoesNotContain(top, Items(again));
            }
        }
        finally { await app.SendAsync(app.Write(HttpMethod.Put, $"/api/items/{top}/stock", new { in_stock = true })); }
    }

    [Fact]
    public async Task A_tight_latency_budget_takes_the_fast_path_and_says_so()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        await app.GetAsync("/api/users/u3/recommendations?n=5"); // measures the Transformer's cost once
        var (status, body) = await app.GetAsync("/api/users/u3/recommendations?n=5&budget_ms=0.0001&debug=true");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("fast", body.GetProperty("path").GetString());
        var transformer = body.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == "transformer");
        Assert.True(transformer.GetProperty("skipped").GetBoolean());
        Assert.Equal(5, Items(body).Length);
    }

    [Fact]
    public async Task Session_similar_search_shops_audience_and_profile_answer()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (_, recs) = await app.GetAsync("/api/users/u20/recommendations?n=3");
        var item = Items(recs)[0];

        var (sessionStatus, session) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/sessions/recommendations", new { items = new[] { item }, n = 4 }));
        Assert.Equal(HttpStatusCode.OK, sessionStatus);
        Assert.Equal(4, Items(session).Length);
        Assert.DoesNotContain(item, Items(session));

        var (similarStatus, similar) = await app.GetAsync($"/api/items/{item}/similar?n=5");
        Assert.Equal(HttpStatusCode.OK, similarStatus);
        Assert.Equal(5, Items(similar).Length);
        Assert.DoesNotContain(item, Items(similar));

        var title = app.Host.Current!.Catalog.Item(app.Host.Current.Catalog.IndexOf(item))!.Title!;
        var word = title.Split(' ')[0];
        var (searchStatus, search) = await app.GetAsync($"/api/search?q={Uri.EscapeDataString(word)}&user=u20&n=5");
        Assert.Equal(HttpStatusCode.OK, searchStatus);
        Assert.True(search.GetProperty("personalized").GetBoolean());
        Assert.All(search.GetProperty("items").EnumerateArray(), h => Assert.Contains(word, h.GetProperty("title").GetString()!, StringComparison.OrdinalIgnoreCase));

        var (shopsStatus, shops) = await app.GetAsync("/api/users/u20/shops?n=2");
        Assert.Equal(HttpStatusCode.OK, shopsStatus);
        Assert.InRange(shops.GetProperty("shops").GetArrayLength(), 1, 2);

        var (audienceStatus, audience) = await app.GetAsync($"/api/audiences?item={item}&n=10");
        Assert.Equal(HttpStatusCode.OK, audienceStatus);
        Assert.Equal(10, audience.GetProperty("users").GetArrayLength());
        var scores = audience.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("score").GetDouble()).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);

        var (profileStatus, profile) = await app.GetAsync("/api/users/u20/profile");
        Assert.Equal(HttpStatusCode.OK, profileStatus);
        Assert.NotEmpty(profile.GetProperty("categories").EnumerateArray());
        Assert.Equal(1.0, profile.GetProperty("categories").EnumerateArray().Sum(c => c.GetProperty("weight").GetDouble()), 1);
    }

    [Fact]
    public async Task Feedback_is_attributed_and_a_click_becomes_the_users_event()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (_, recs) = await app.GetAsync("/api/users/fb-user/recommendations?n=5");
        var id = recs.GetProperty("recommendation_id").GetString();
        var item = Items(recs)[1];
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { feedback = new object[]
        {
            new { recommendation_id = id, item, kind = "impression" },
            new { recommendation_id = id, item, kind = "click" },
        } }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(1, body.GetProperty("events_recorded").GetInt32());
        Assert.Equal(item, app.Store.RecentEvents(app.Pseudonym("fb-user"), 1).Single().Item);

        var (unknown, problem) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = "r_nope", item, kind = "click" }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Contains("unknown recommendation_id", problem.GetRawText());
        var (notShown, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = id, item = "not-in-the-list", kind = "click" }));
        Assert.Equal(HttpStatusCode.BadRequest, notShown);
    }

    [Fact]
    public async Task A_new_model_version_is_hot_swapped()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (_, before) = await app.GetAsync("/api/users/u1/recommendations?n=3");
        var version = before.GetProperty("model").GetProperty("version").GetInt64();
        var latest = app.Store.LatestModel("sasrec")!;
        app.Store.PublishModel("sasrec", app.Store.ReadModelPayload(latest.Version), latest.MetricsJson);
        app.Host.Refresh();
        var (_, after) = await app.GetAsync("/api/users/u1/recommendations?n=3");
        Assert.True(after.GetProperty("model").GetProperty("version").GetInt64() > version);
    }
}
