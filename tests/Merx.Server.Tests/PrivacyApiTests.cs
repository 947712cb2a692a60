using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Merx.Service.Privacy;

namespace Merx.Server.Tests;

/// <summary>Issue #7 at the HTTP door: pseudonyms at rest, PII scrubbing with counts, k-anonymous segments, forgetting.</summary>
[Collection(ShopCollection.Name)]
public sealed class PrivacyApiTests(ShopStore shop)
{
    [Fact]
    public async Task Raw_ids_never_reach_the_store_but_the_shop_keeps_using_them()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        const string raw = "raw-customer-7731@shop.example";
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new[] { new { user = raw, item = "i5", kind = "purchase" } } }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body.GetProperty("accepted").GetInt64());

        var pseudonym = app.Pseudonym(raw);
        Assert.Matches("^p1_[A-Za-z0-9_-]{22}$", pseudonym);
        Assert.Equal("i5", app.Store.RecentEvents(pseudonym, 1).Single().Item);
        Assert.Empty(app.Store.RecentEvents(raw, 1));
        Assert.Contains(pseudonym, app.Store.RecentUsers(5));
        // The shop's own id still works everywhere: its history is found under the pseudonym.
        var (_, events) = await app.GetAsync($"/api/users/{Uri.EscapeDataString(raw)}/events?limit=1");
        Assert.Equal("i5", events.GetProperty("events")[0].GetProperty("item").GetString());
        Assert.Equal(pseudonym, events.GetProperty("pseudonym").GetString());
        // ... and so does the pseudonym itself (what audiences and the dashboard's suggested users return).
        var (_, byPseudonym) = await app.GetAsync($"/api/users/{pseudonym}/events?limit=1");
        Assert.Equal("i5", byPseudonym.GetProperty("events")[0].GetProperty("item").GetString());
        var (recStatus, _) = await app.GetAsync($"/api/users/{Uri.EscapeDataString(raw)}/recommendations?n=3");
        Assert.Equal(HttpStatusCode.OK, recStatus);
        app.App.Services.GetRequiredService<Merx.Service.Serving.ServedLog>().Flush();
        app.Store.EraseFreedSpace(rebuild: false);
        Assert.False(FileContains(shop.DbPath, raw), "the raw id is in the database file");
        Assert.True(FileContains(shop.DbPath, pseudonym), "the pseudonym should be stored (the scan must be able to find it)");
    }

    [Fact]
    public async Task Personal_data_in_queries_sessions_and_attributes_is_scrubbed_and_counted()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new
        {
            events = new object[]
            {
                new { user = "scrub-user", kind = "search", query = "gift for jane.doe@example.com call +44 20 7946 0958" },
                new { user = "scrub-user", item = "i7", kind = "view", session = "sess-bob@example.org" },
            },
        }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, body.GetProperty("scrubbed_fields").GetInt64());
        var stored = app.Store.RecentEvents(app.Pseudonym("scrub-user"), 2);
        Assert.Equal("[email]", stored[0].Session);
        Assert.Equal("gift for [email] call [phone]", stored[1].Query);

        var (putStatus, put) = await app.SendAsync(app.Write(HttpMethod.Put, "/api/users/scrub-user", new
        {
            attributes = new Dictionary<string, string> { ["age_band"] = "25-34", ["email"] = "jane@example.com", ["first_name"] = "Jane", ["note"] = "reach me at jane@example.com" },
        }));
        Assert.Equal(HttpStatusCode.OK, putStatus);
        Assert.Equal(3, put.GetProperty("scrubbed_fields").GetInt32());
        Assert.Equal(2, put.GetProperty("attributes").GetInt32());
        Assert.Equal(["email", "first_name"], put.GetProperty("dropped").EnumerateArray().Select(d => d.GetString()!).ToArray());
        Assert.DoesNotContain("jane@example.com", File.ReadAllText(shop.DbPath + "-wal", Encoding.Latin1));
    }

    [Fact]
    public async Task Audiences_are_pseudonyms_and_small_audiences_are_withheld()
    {
        var item = "";
        await using (var app = await MerxTestApp.StartAsync(shop.DbPath))
        {
            item = app.Store.RecentEvents(app.Pseudonym("u20"), 1).Single().Item!;
            var (status, audience) = await app.GetAsync($"/api/audiences?item={item}&n=10");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.False(audience.GetProperty("suppressed").GetBoolean());
            Assert.True(audience.GetProperty("users_scored").GetInt64() >= 10);
            Assert.All(audience.GetProperty("users").EnumerateArray(), u => Assert.Matches("^p1_", u.GetProperty("user").GetString()!));
        }
        await using (var strict = await MerxTestApp.StartAsync(shop.DbPath, o => o.KAnonymity = 1_000_000))
        {
            var (status, audience) = await strict.GetAsync($"/api/audiences?item={item}&n=10");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(audience.GetProperty("suppressed").GetBoolean());
            Assert.Equal(0, audience.GetProperty("users").GetArrayLength());
            Assert.True(!audience.TryGetProperty("users_scored", out var size) || size.ValueKind == System.Text.Json.JsonValueKind.Null, "a withheld audience has no size");
            Assert.Contains("fewer than 1000000", audience.GetProperty("privacy").GetString());
        }
    }

    [Fact]
    public async Task Released_audience_sizes_can_carry_Laplace_noise()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.SizeNoiseEpsilon = 0.5);
        var item = app.Store.RecentEvents(app.Pseudonym("u21"), 1).Single().Item!;
        var sizes = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var (_, audience) = await app.GetAsync($"/api/audiences?item={item}&n=3");
            sizes.Add(audience.GetProperty("users_scored").GetInt64());
            Assert.Contains("Laplace", audience.GetProperty("privacy").GetString());
        }
        // Scale 1/ε = 2: twenty releases all equal are a chance of about 1e-13; none may be negative.
        Assert.True(sizes.Distinct().Count() > 1, "the sizes carry no noise");
        Assert.All(sizes, s => Assert.True(s >= 0));
    }

    [Fact]
    public async Task Users_by_attribute_withhold_small_segments_and_what_would_reveal_them()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        async Task Put(string user, string tier) =>
            Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Put, $"/api/users/{user}", new { attributes = new Dictionary<string, string> { ["kanon_tier"] = tier } }))).Status);
        for (var i = 0; i < 12; i++) await Put($"kanon-a-{i}", "gold");
        for (var i = 0; i < 11; i++) await Put($"kanon-c-{i}", "silver");
        for (var i = 0; i < 3; i++) await Put($"kanon-b-{i}", "platinum");
        var (status, body) = await app.GetAsync("/api/segments?attribute=kanon_tier");
        Assert.Equal(HttpStatusCode.OK, status);
        var segments = body.GetProperty("segments").EnumerateArray().ToArray();
        Assert.Equal("gold", Assert.Single(segments).GetProperty("value").GetString());
        Assert.Equal(12, segments[0].GetProperty("users").GetInt64());
        Assert.Equal(1, body.GetProperty("suppressed_below_k").GetInt32());   // platinum: 3 users
        Assert.Equal(1, body.GetProperty("suppressed_secondary").GetInt32()); // silver, or 15 − 12 would give platinum away
        Assert.Equal(HttpStatusCode.BadRequest, (await app.GetAsync("/api/segments")).Status);
    }

    [Fact]
    public async Task Forgetting_a_user_leaves_no_trace_of_the_pseudonym_in_the_file_or_its_log()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        const string raw = "forget-every-trace-4412";
        var pseudonym = app.Pseudonym(raw);
        var statsBefore = app.Store.GetStats();
        await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new
        {
            events = new object[]
            {
                new { user = raw, item = "i3", kind = "view", session = "forget-session-77" },
                new { user = raw, item = "i4", kind = "add_to_cart", session = "forget-session-77" },
                new { user = raw, kind = "search", query = "forgettable-query-zx" },
            },
        }));
        await app.SendAsync(app.Write(HttpMethod.Put, $"/api/users/{raw}", new { attributes = new Dictionary<string, string> { ["age_band"] = "35-44" } }));
        var (_, recs) = await app.GetAsync($"/api/users/{raw}/recommendations?n=5");
        var recId = recs.GetProperty("recommendation_id").GetString()!;
        var clicked = recs.GetProperty("items")[0].GetProperty("item").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = recId, item = clicked, kind = "click" }))).Status);
        app.App.Services.GetRequiredService<Merx.Service.Serving.ServedLog>().Flush();
        Assert.Equal(statsBefore.Users + 1, app.Store.GetStats().Users);
        Assert.True(FileContains(shop.DbPath, pseudonym) || FileContains(shop.DbPath + "-wal", pseudonym), "the scan must be able to find the pseudonym before deletion");

        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Delete, $"/api/users/{Uri.EscapeDataString(raw)}"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body.GetProperty("events_removed").GetInt64()); // three events and the click

        Assert.Empty(app.Store.RecentEvents(pseudonym, 10));
        Assert.Null(app.Store.GetServed(recId));
        var after = app.Store.GetStats();
        Assert.Equal(statsBefore.Users, after.Users);
        Assert.Equal(statsBefore.Events, after.Events);
        foreach (var file in new[] { shop.DbPath, shop.DbPath + "-wal" })
            foreach (var trace in new[] { pseudonym, raw, "forget-session-77", "forgettable-query-zx", recId })
                Assert.False(FileContains(file, trace), $"{Path.GetFileName(file)} still holds '{trace}'");
    }

    [Fact]
    public async Task A_forgotten_user_leaves_the_running_experiment_report()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (created, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", new
        {
            id = "forget-exp", metric = "click",
            variants = new object[] { new { name = "a", share = 0.5 }, new { name = "b", share = 0.5 } },
        }));
        Assert.Equal(HttpStatusCode.Created, created);
        try
        {
            for (var u = 0; u < 6; u++) await app.GetAsync($"/api/users/exp-forget-{u}/recommendations?n=3");
            async Task<long> Users() => (await app.GetAsync("/api/experiments/forget-exp")).Body.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("users").GetInt64());
            Assert.Equal(6, await Users());
            Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/users/exp-forget-2"))).Status);
            Assert.Equal(5, await Users());
        }
        finally
        {
            await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments/forget-exp/stop"));
        }
    }

    [Fact]
    public async Task A_server_refuses_a_store_pseudonymized_with_another_key()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => MerxTestApp.StartAsync(shop.DbPath, o => o.PseudonymKey = "v1:another-key-entirely-0123456789abcdefgh"));
        Assert.Contains("this store was pseudonymized with key v1:", e.Message);
    }

    /// <summary>True when the file's bytes hold <paramref name="text"/> (UTF-8); false for a missing file.</summary>
    internal static bool FileContains(string path, string text)
    {
        if (!File.Exists(path)) return false;
        byte[] bytes;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[f.Length];
            f.ReadExactly(bytes);
        }
        return bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
    }
}
