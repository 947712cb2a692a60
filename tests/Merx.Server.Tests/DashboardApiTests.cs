using System.Net;
using System.Text.Json;
using Merx.Service.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Server.Tests;

/// <summary>The dashboard's page and JSON (issue #8) on the real app over the shared shop.</summary>
[Collection(ShopCollection.Name)]
public sealed class DashboardApiTests(ShopStore shop)
{
    [Fact]
    public async Task Stats_and_timeline_agree_with_the_store()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var expected = app.Store.GetStats();
        var (status, stats) = await app.GetAsync("/api/stats");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected.Events, stats.GetProperty("events").GetInt64());
        Assert.Equal(expected.Users, stats.GetProperty("users").GetInt64());
        Assert.Equal(expected.Items, stats.GetProperty("items").GetInt64());
        Assert.Equal(expected[Core.Domain.EventKind.Purchase], stats.GetProperty("events_by_kind").GetProperty("purchase").GetInt64());

        var (_, all) = await app.GetAsync("/api/stats/timeline");
        var buckets = all.GetProperty("buckets").EnumerateArray().ToArray();
        Assert.Equal(expected.Events, buckets.Sum(d => d.GetProperty("total").GetInt64()));
        Assert.Equal(expected[Core.Domain.EventKind.View], buckets.Sum(d => d.GetProperty("counts").TryGetProperty("view", out var v) ? v.GetInt64() : 0));
        Assert.InRange(buckets.Length, 1, 92);
        Assert.Contains("view", all.GetProperty("kinds").EnumerateArray().Select(k => k.GetString()));

        // The last week of the history, by day, ending on the day of the newest event.
        var (_, week) = await app.GetAsync("/api/stats/timeline?days=7");
        Assert.Equal("day", week.GetProperty("bucket").GetString());
        var days = week.GetProperty("buckets").EnumerateArray().Select(b => DateOnly.Parse(b.GetProperty("start").GetString()!)).ToArray();
        Assert.Equal(7, days.Length);
        Assert.Equal(DateOnly.Parse(all.GetProperty("to").GetString()!), days[^1]);
        Assert.All(days.Zip(days.Skip(1)), p => Assert.Equal(p.First.AddDays(1), p.Second));
        Assert.Equal(HttpStatusCode.BadRequest, (await app.GetAsync("/api/stats/timeline?days=0")).Status);
    }

    [Fact]
    public async Task Exploration_counts_served_slots_and_clicks_on_explored_and_exploited_slots()
    {
        JsonElement before;
        await using (var first = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = "discovery"))
            before = (await first.GetAsync("/api/stats/exploration?hours=1")).Body.GetProperty("totals");

        await using (var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = "discovery"))
        {
            // The fixed discovery policy: a user with no history gets 30 % of the slots explored.
            var (_, recs) = await app.GetAsync("/api/users/dash-explore-1/recommendations?n=10");
            var items = recs.GetProperty("items").EnumerateArray().ToArray();
            var explored = items.First(i => i.GetProperty("explored").GetBoolean()).GetProperty("item").GetString();
            var exploited = items.First(i => !i.GetProperty("explored").GetBoolean()).GetProperty("item").GetString();
            var id = recs.GetProperty("recommendation_id").GetString();
            var (fb, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { feedback = new[]
            {
                new { recommendation_id = id, item = explored, kind = "click" }, new { recommendation_id = id, item = exploited, kind = "click" },
                new { recommendation_id = id, item = exploited, kind = "impression" },
            } }));
            Assert.Equal(HttpStatusCode.OK, fb);
            await app.GetAsync("/api/users/dash-explore-2/recommendations?n=5");
        }

        await using var after = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = "discovery");
        var (status, body) = await after.GetAsync("/api/stats/exploration?hours=1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("discovery", body.GetProperty("policy").GetString());
        var t = body.GetProperty("totals");
        long Delta(string name) => t.GetProperty(name).GetInt64() - before.GetProperty(name).GetInt64();
        Assert.Equal(2, Delta("lists"));
        Assert.Equal(15, Delta("slots"));
        Assert.True(Delta("explored_slots") >= 3);
        Assert.Equal(1, Delta("explored_clicks"));
        Assert.Equal(1, Delta("exploited_clicks"));
        var buckets = body.GetProperty("buckets").EnumerateArray().ToArray();
        Assert.InRange(buckets.Length, 1, 40);
        Assert.Equal(t.GetProperty("slots").GetInt64(), buckets.Sum(b => b.GetProperty("slots").GetInt64()));
        Assert.Equal(HttpStatusCode.BadRequest, (await after.GetAsync("/api/stats/exploration?hours=0")).Status);
    }

    [Fact]
    public async Task A_bandit_logs_user_group_and_propensities_and_the_dashboard_splits_click_through_by_group()
    {
        // Issue #23: ranked:0.5 (exact propensities) serves a user with no history ("new"); a click on an explored
        // slot shows in the new users' explored row, and the served list carries its exploit ranks and propensities.
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = "ranked:0.5");
        static long Count(JsonElement body, string group, string slots, string what) =>
            body.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("group").GetString() == group && g.GetProperty("slots").GetString() == slots).GetProperty(what).GetInt64();
        var (_, before) = await app.GetAsync("/api/stats/exploration?hours=1");
        var (_, recs) = await app.GetAsync("/api/users/dash-ope-1/recommendations?n=10");
        var items = recs.GetProperty("items").EnumerateArray().ToArray();
        var id = recs.GetProperty("recommendation_id").GetString()!;
        var explored = items.Count(i => i.GetProperty("explored").GetBoolean());
        var first = items.First(i => i.GetProperty("explored").GetBoolean()).GetProperty("item").GetString();
        await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { feedback = new[] { new { recommendation_id = id, item = first, kind = "click" } } }));
        app.App.Services.GetRequiredService<ServedLog>().Flush();
        var served = app.Store.GetServed(id)!;
        Assert.Equal("new", served.UserGroup);
        var logging = served.Logging!;
        Assert.Equal(items.Length, logging.Propensities.Count);
        for (var j = 0; j < items.Length; j++)
            Assert.Equal(Ranking.Bandits.SlotPropensity.OverExploitOrder(0.5, logging.ExploitRanks[j], j, logging.Candidates, items.Length), logging.Propensities[j], 12);
        await Task.Delay(1100); // the dashboard caches the exploration figures for a second
        var (_, after) = await app.GetAsync("/api/stats/exploration?hours=1");
        Assert.Equal(explored, Count(after, "new", "explored", "shown") - Count(before, "new", "explored", "shown"));
        Assert.Equal(items.Length - explored, Count(after, "new", "exploited", "shown") - Count(before, "new", "exploited", "shown"));
        Assert.Equal(1, Count(after, "new", "explored", "clicks") - Count(before, "new", "explored", "clicks"));
        Assert.Equal(0, Count(after, "established", "explored", "shown") - Count(before, "established", "explored", "shown"));
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(0)]
    public async Task The_default_dynamic_policy_logs_redrawn_propensities_unless_told_not_to(int draws)
    {
        // Issue #23: Dynamic has no closed-form propensities; the server freezes the slate's distribution at the request
        // and, in the serving log's queue, redraws it until each pick reappears at its slot (at most PropensityDraws
        // draws), logging 1/N per slot with the cap (none when draws = 0). The flush waits for the redraws.
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => { o.Policy = "dynamic:0.1"; o.PropensityDraws = draws; });
        var (_, recs) = await app.GetAsync("/api/users/dash-mc-1/recommendations?n=10");
        var id = recs.GetProperty("recommendation_id").GetString()!;
        var log = app.App.Services.GetRequiredService<ServedLog>();
        log.Flush();
        Assert.Equal(0, log.RedrawsSkipped);
        var served = app.Store.GetServed(id)!;
        if (draws == 0) { Assert.Null(served.Logging); return; }
        var logging = served.Logging!;
        Assert.Equal(recs.GetProperty("items").GetArrayLength(), logging.Propensities.Count);
        Assert.Equal(draws, logging.DrawCap);
        Assert.InRange(logging.CappedSlots, 0, logging.Propensities.Count);
        Assert.All(logging.Propensities, p =>
        {
            Assert.InRange(p, 1.0 / draws, 1);
            Assert.Equal(Math.Round(1 / p), 1 / p, 9); // 1/N
        });
        // The same draws count M, the draws until each pick reappears in any slot: 1/M, never below 1/N.
        var presences = logging.Presences!;
        Assert.Equal(logging.Propensities.Count, presences.Count);
        for (var j = 0; j < presences.Count; j++)
        {
            Assert.InRange(presences[j], logging.Propensities[j], 1);
            Assert.Equal(Math.Round(1 / presences[j]), 1 / presences[j], 9);
        }
        Assert.InRange(logging.CappedPresences, 0, logging.CappedSlots);
    }

    [Fact]
    public async Task A_propensity_sample_redraws_only_that_share_of_the_lists()
    {
        // Merx:PropensitySample 0.3: about 3 lists in 10 are frozen and redrawn, the others logged without propensities.
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => { o.Policy = "dynamic:0.1"; o.PropensityDraws = 10_000; o.PropensitySample = 0.3; });
        var ids = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var (_, recs) = await app.GetAsync($"/api/users/dash-sample-{i}/recommendations?n=10");
            ids.Add(recs.GetProperty("recommendation_id").GetString()!);
        }
        app.App.Services.GetRequiredService<ServedLog>().Flush();
        var logged = ids.Count(id => app.Store.GetServed(id)!.Logging is not null);
        Assert.InRange(logged, 5, 36); // Binomial(60, 0.3): mean 18, sd 3.5
        Assert.All(ids.Select(id => app.Store.GetServed(id)!.Logging).OfType<Merx.Storage.SlotLogging>(), l => Assert.Equal(10_000, l.DrawCap));
    }

    [Fact]
    public async Task User_events_are_newest_first_with_titles_and_a_click_shows_up_at_once()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var item = app.Store.RecentEvents(app.Pseudonym("u5"), 1).Single().Item!;
        await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new object[]
        {
            new { user = "dash-events", item, kind = "view", timestamp = 1_700_000_000 },
            new { user = "dash-events", kind = "search", query = "red shoes", timestamp = 1_700_000_100 },
        } }));
        var (status, body) = await app.GetAsync("/api/users/dash-events/events?limit=20");
        Assert.Equal(HttpStatusCode.OK, status);
        var events = body.GetProperty("events").EnumerateArray().ToArray();
        Assert.Equal(["search", "view"], events.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("red shoes", events[0].GetProperty("query").GetString());
        Assert.Equal(app.Store.GetItem(item)!.Title, events[1].GetProperty("title").GetString());
        Assert.Equal(1_700_000_000, events[1].GetProperty("timestamp").GetInt64());

        var (_, recs) = await app.GetAsync("/api/users/dash-events/recommendations?n=5");
        var clicked = recs.GetProperty("items")[2].GetProperty("item").GetString();
        await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = recs.GetProperty("recommendation_id").GetString(), item = clicked, kind = "click" }));
        var (_, latest) = await app.GetAsync("/api/users/dash-events/events?limit=1");
        var newest = Assert.Single(latest.GetProperty("events").EnumerateArray());
        Assert.Equal(clicked, newest.GetProperty("item").GetString());
        Assert.Equal("click", newest.GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.GetAsync("/api/users/dash-events/events?limit=0")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.GetAsync("/api/users/dash-events/events?limit=999")).Status);
        Assert.Empty((await app.GetAsync("/api/users/nobody-at-all/events")).Body.GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task Suggested_users_and_status_say_what_exists()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (_, users) = await app.GetAsync("/api/dashboard/users?n=3");
        Assert.Equal(app.Store.RecentUsers(3), users.GetProperty("users").EnumerateArray().Select(u => u.GetString()!));
        Assert.Equal(HttpStatusCode.BadRequest, (await app.GetAsync("/api/dashboard/users?n=0")).Status);
        var (status, st) = await app.GetAsync("/api/dashboard/status");
        Assert.Equal(HttpStatusCode.OK, status);
        var experiments = app.App.Services.GetRequiredService<Merx.Service.Experiments.ExperimentService>();
        Assert.Equal(experiments.Definitions.Count, st.GetProperty("experiments").GetProperty("defined").GetInt32());
        Assert.True(st.GetProperty("privacy").GetProperty("pseudonymization").GetBoolean());
        Assert.StartsWith("v1:", st.GetProperty("privacy").GetProperty("key_fingerprint").GetString());
        Assert.Equal(10, st.GetProperty("privacy").GetProperty("k_anonymity").GetInt32());
        Assert.True(st.GetProperty("privacy").GetProperty("user_deletion").GetBoolean());
    }

    [Fact]
    public async Task The_page_carries_the_key_on_loopback_and_asks_for_it_elsewhere()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        using var local = await app.Client.GetAsync("/");
        var html = await local.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Contains($"<meta name=\"merx-key\" content=\"{MerxTestApp.Key}\">", html);
        Assert.Contains("script-src 'self'", local.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("function stackedBars", await app.Client.GetStringAsync("/dashboard/charts.js"));
        Assert.Contains("function showUser", await app.Client.GetStringAsync("/dashboard/app.js"));

        var server = app.App.GetTestServer();
        async Task<(int Status, string Body)> Remote(string query, string host = "shop.example", string ip = "203.0.113.5", string? header = null)
        {
            var ctx = await server.SendAsync(c =>
            {
                c.Request.Method = "GET";
                c.Request.Path = "/";
                c.Request.QueryString = new QueryString(query);
                c.Request.Host = new HostString(host);
                c.Connection.RemoteIpAddress = IPAddress.Parse(ip);
                if (header is not null) c.Request.Headers["X-Api-Key"] = header;
            });
            return (ctx.Response.StatusCode, await new StreamReader(ctx.Response.Body).ReadToEndAsync());
        }
        var missing = await Remote("");
        Assert.Equal(401, missing.Status);
        Assert.Contains("name=\"key\"", missing.Body);
        Assert.DoesNotContain(MerxTestApp.Key, missing.Body);
        var wrong = await Remote("?key=nope");
        Assert.Equal(401, wrong.Status);
        Assert.Contains("does not match", wrong.Body);
        var right = await Remote("?key=" + MerxTestApp.Key);
        Assert.Equal(200, right.Status);
        Assert.Contains(MerxTestApp.Key, right.Body);
        Assert.Equal(200, (await Remote("", header: MerxTestApp.Key)).Status);
        // Loopback address but a foreign host name (DNS rebinding): no key in the page.
        var rebound = await Remote("", host: "evil.example", ip: "127.0.0.1");
        Assert.Equal(401, rebound.Status);
        Assert.DoesNotContain(MerxTestApp.Key, rebound.Body);

        var api = await server.SendAsync(c => { c.Request.Method = "GET"; c.Request.Path = "/api/stats"; c.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.5"); });
        Assert.Equal(401, api.Response.StatusCode);
    }
}
