using System.Net;
using System.Text.Json;

namespace Merx.Server.Tests;

/// <summary>
/// One customer across platforms (issue 22), end to end through the real server: events carry a platform, a
/// device id linked to an account makes one history (at this replica and at another one on the same store),
/// a request for one platform, the profile per platform, unlinking, and forgetting one id forgets both.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class PlatformLinkApiTests(ShopStore shop)
{
    private static async Task<string[]> List(MerxTestApp app, string user, string extra = "")
    {
        var (status, body) = await app.GetAsync($"/api/users/{user}/recommendations?n=10&explore=false{extra}");
        Assert.Equal(HttpStatusCode.OK, status);
        return RecommendationApiTests.Items(body);
    }

    private static async Task View(MerxTestApp app, string user, string platform, params string[] items)
    {
        var events = items.Select(i => new { user, item = i, kind = "view", platform }).ToArray();
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events }));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Fact]
    public async Task Views_on_the_app_id_change_the_web_ids_next_list_once_linked_and_not_before_at_every_replica_and_forget_removes_both()
    {
        var db = shop.Copy("platform-links.db");
        await using var a = await MerxTestApp.StartAsync(db);
        await using var b = await MerxTestApp.StartAsync(db);   // a second replica on the same store
        var catalog = a.Host.Current!.Catalog;
        await View(a, "xp-web", "web", catalog.Id(3), catalog.Id(4));
        var before = await List(a, "xp-web");
        Assert.Equal(before, await List(b, "xp-web"));

        // The app id views the web id's top three: the web id's list does not move while the ids are apart.
        var appViews = before.Take(3).ToArray();
        await View(a, "xp-app", "app", appViews);
        Assert.Equal(before, await List(a, "xp-web"));
        Assert.Equal(before, await List(b, "xp-web"));

        var (linked, link) = await a.SendAsync(a.Write(HttpMethod.Post, "/api/users/xp-web/links", new { user = "xp-app" }));
        Assert.Equal(HttpStatusCode.OK, linked);
        Assert.Equal(2, link.GetProperty("linked_ids").GetInt32());
        Assert.Equal(new[] { a.Pseudonym("xp-app"), a.Pseudonym("xp-web") }.Order(StringComparer.Ordinal), a.Store.LinkedUsers(a.Pseudonym("xp-web")));

        // One history now: what the app id saw is seen for the web id (left out of its list), at both replicas.
        var afterA = await List(a, "xp-web");
        var afterB = await List(b, "xp-web");
        Assert.NotEqual(before, afterA);
        Assert.DoesNotContain(afterA, appViews.Contains);
        Assert.Equal(afterA, afterB);
        Assert.Equal(afterA, await List(a, "xp-app"));             // either id asks for the same person

        // The profile spans both ids, with the activity per platform.
        var (_, profile) = await b.GetAsync("/api/users/xp-web/profile");
        Assert.Equal(2, profile.GetProperty("linked_ids").GetInt32());
        Assert.Equal([("app", 3), ("web", 2)], profile.GetProperty("platforms").EnumerateArray()
            .Select(p => (p.GetProperty("platform").GetString()!, p.GetProperty("events").GetInt32())));
        Assert.Equal(5, profile.GetProperty("events").GetInt32());

        // Asked for the app: the app's events are the session (its views were the latest), so the app answer is session-led like the plain one.
        var (appStatus, appBody) = await a.GetAsync("/api/users/xp-web/recommendations?n=10&explore=false&platform=app");
        Assert.Equal(HttpStatusCode.OK, appStatus);
        Assert.DoesNotContain(RecommendationApiTests.Items(appBody), appViews.Contains);
        Assert.True(appBody.GetProperty("session_share").GetDouble() > 0);
        var (_, storeBody) = await a.GetAsync("/api/users/xp-web/recommendations?n=10&explore=false&platform=store");
        Assert.Equal(0, storeBody.GetProperty("session_share").GetDouble());   // nothing happened in the store: no session there

        // Unlinked, the web id is back to its own history, at both replicas.
        var (unlinked, unlink) = await b.SendAsync(b.Write(HttpMethod.Delete, "/api/users/xp-app/links"));
        Assert.Equal(HttpStatusCode.OK, unlinked);
        Assert.Equal(1, unlink.GetProperty("was_linked_to").GetInt32());
        Assert.Equal(before, await List(a, "xp-web"));
        Assert.Equal(before, await List(b, "xp-web"));

        // Linked again, forgetting one forgets both.
        await a.SendAsync(a.Write(HttpMethod.Post, "/api/users/xp-app/links", new { user = "xp-web" }));
        var (forgot, forgotten) = await b.SendAsync(b.Write(HttpMethod.Delete, "/api/users/xp-web"));
        Assert.Equal(HttpStatusCode.OK, forgot);
        Assert.Equal(5, forgotten.GetProperty("events_removed").GetInt64());
        Assert.Empty(a.Store.RecentEvents(a.Pseudonym("xp-app"), 10));
        Assert.Empty(a.Store.RecentEvents(a.Pseudonym("xp-web"), 10));
        var (_, gone) = await a.GetAsync("/api/users/xp-web/recommendations?n=10");
        Assert.Equal("cold-start", gone.GetProperty("path").GetString());
    }

    [Theory]
    [InlineData("/api/events", """{"events":[{"user":"xp-bad","item":"i1","kind":"view","platform":"Web Shop"}]}""", "platform 'Web Shop' is not a label")]
    [InlineData("/api/users/xp-bad/links", """{"user":"xp-bad"}""", "cannot be linked to itself")]
    [InlineData("/api/users/xp-bad/links", """{}""", "user")]
    public async Task Bad_platforms_and_links_get_a_clear_400_and_write_nothing(string url, string body, string message)
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (status, problem) = await app.SendAsync(app.Write(HttpMethod.Post, url, body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, problem.ToString());
        Assert.Empty(app.Store.RecentEvents(app.Pseudonym("xp-bad"), 10));
        Assert.Equal([app.Pseudonym("xp-bad")], app.Store.LinkedUsers(app.Pseudonym("xp-bad")));
        var (badQuery, queryProblem) = await app.GetAsync("/api/users/u5/recommendations?platform=APP!");
        Assert.Equal(HttpStatusCode.BadRequest, badQuery);
        Assert.Contains("platform 'APP!' is not a label", queryProblem.ToString());
    }
}
