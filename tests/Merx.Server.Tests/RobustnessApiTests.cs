using System.Net;
using System.Text;

namespace Merx.Server.Tests;

/// <summary>Bad input gets a clear 4xx (problem+json, no stack trace) and writes nothing (issue #5).</summary>
[Collection(ShopCollection.Name)]
public sealed class RobustnessApiTests(ShopStore shop)
{
    private static async Task AssertProblem(MerxTestApp app, HttpRequestMessage request, HttpStatusCode expected, string mention)
    {
        using var response = await app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mention, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
    }

    [Fact]
    public async Task Malformed_json_and_bad_events_write_nothing()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var before = app.Store.GetStats().Events;
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", "{\"events\": [{\"user\": \"a\","), HttpStatusCode.BadRequest, "malformed JSON");
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", "[1,2,3]"), HttpStatusCode.BadRequest, "expected a JSON object");
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", "{\"events\": [{\"user\": \"a\", \"item\": \"i1\", \"kind\": \"view\", \"colour\": 1}]}"), HttpStatusCode.BadRequest, "colour");
        var mixed = new { events = new object[] { new { user = "bad-batch", item = "i1", kind = "view" }, new { user = "bad-batch", item = "i2", kind = "teleport" }, new { user = "", item = "i3", kind = "view" } } };
        using (var response = await app.Client.SendAsync(app.Write(HttpMethod.Post, "/api/events", mixed)))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("events[1]", text);
            Assert.Contains("teleport", text);
            Assert.Contains("events[2]", text);
            Assert.DoesNotContain("events[0]", text);
        }
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", new { user = "x", item = "i1", kind = "view", timestamp = 99_999_999_999L }), HttpStatusCode.BadRequest, "future");
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", new { user = "x", item = "i1", kind = "rating", value = double.MaxValue }), HttpStatusCode.BadRequest, "value");
        Assert.Equal(before, app.Store.GetStats().Events);
        Assert.Empty(app.Store.RecentEvents(app.Pseudonym("bad-batch"), 10));
    }

    [Fact]
    public async Task Huge_batches_and_bodies_are_refused()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => { o.MaxBatch = 100; o.MaxBodyBytes = 64 * 1024; });
        var before = app.Store.GetStats().Events;
        var many = new { events = Enumerable.Range(0, 101).Select(i => new { user = "huge", item = "i" + i, kind = "view" }).ToArray() };
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", many), HttpStatusCode.RequestEntityTooLarge, "at most 100");
        var big = "{\"events\": [" + string.Join(',', Enumerable.Range(0, 50).Select(i => $"{{\"user\": \"huge\", \"item\": \"i{i}\", \"kind\": \"view\", \"session\": \"{new string('s', 2000)}\"}}")) + "]}";
        Assert.True(Encoding.UTF8.GetByteCount(big) > 64 * 1024);
        using (var response = await app.Client.SendAsync(app.Write(HttpMethod.Post, "/api/events", big)))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, app.Store.GetStats().Events);
    }

    [Theory]
    [InlineData("n=-1", "between 1")]
    [InlineData("n=0", "between 1")]
    [InlineData("n=1000000", "between 1")]
    [InlineData("n=ten", "integer")]
    [InlineData("page=checkout", "page must be")]
    [InlineData("budget_ms=-5", "budget_ms")]
    public async Task Absurd_query_parameters_get_400(string query, string mention)
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        await AssertProblem(app, new HttpRequestMessage(HttpMethod.Get, "/api/users/u1/recommendations?" + query), HttpStatusCode.BadRequest, mention);
    }

    [Fact]
    public async Task Writes_need_the_api_key()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var evt = new { user = "keyless", item = "i1", kind = "view" };
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", evt, key: null), HttpStatusCode.Unauthorized, "X-Api-Key");
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", evt, key: "wrong"), HttpStatusCode.Unauthorized, "does not match");
        await AssertProblem(app, app.Write(HttpMethod.Delete, "/api/users/u1", key: null), HttpStatusCode.Unauthorized, "X-Api-Key");
        Assert.Empty(app.Store.RecentEvents(app.Pseudonym("keyless"), 5));
        Assert.NotEmpty(app.Store.RecentEvents(app.Pseudonym("u1"), 1));
    }

    [Fact]
    public async Task Unknown_ids_get_clear_answers()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        await AssertProblem(app, new HttpRequestMessage(HttpMethod.Get, "/api/items/no-such-item/similar"), HttpStatusCode.NotFound, "unknown item");
        await AssertProblem(app, app.Write(HttpMethod.Delete, "/api/items/no-such-item"), HttpStatusCode.NotFound, "no catalog item");
        await AssertProblem(app, app.Write(HttpMethod.Put, "/api/items/no-such-item/stock", new { in_stock = false }), HttpStatusCode.NotFound, "no catalog item");
        await AssertProblem(app, new HttpRequestMessage(HttpMethod.Get, "/api/audiences?category=No%20Such%20Category"), HttpStatusCode.NotFound, "no item in category");
        var (status, body) = await app.GetAsync("/api/users/never-seen-user/recommendations?n=4");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("cold-start", body.GetProperty("path").GetString());
        Assert.Equal(4, body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Odd_unicode_ids_round_trip_and_broken_unicode_is_refused()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        const string user = "Zoë 🙂 名前 ‮rtl";
        var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { user, item = "i3", kind = "view" }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("i3", app.Store.RecentEvents(app.Pseudonym(user), 1).Single().Item);
        var (recs, _) = await app.GetAsync($"/api/users/{Uri.EscapeDataString(user)}/recommendations?n=3");
        Assert.Equal(HttpStatusCode.OK, recs);
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", "{\"user\": \"a\\ud800b\", \"item\": \"i1\", \"kind\": \"view\"}"), HttpStatusCode.BadRequest, "");
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", "{\"user\": \"tab\\tuser\", \"item\": \"i1\", \"kind\": \"view\"}"), HttpStatusCode.BadRequest, "control characters");
        await AssertProblem(app, app.Write(HttpMethod.Post, "/api/events", new { user = new string('x', 300), item = "i1", kind = "view" }), HttpStatusCode.BadRequest, "longer than");
    }

    [Fact]
    public async Task Rate_limit_answers_429()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.RateLimitPerSecond = 3);
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) codes.Add((await app.GetAsync("/health/live")).Status);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
        Assert.Equal(HttpStatusCode.OK, codes[0]);
    }
}
