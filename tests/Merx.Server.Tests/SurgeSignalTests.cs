using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Merx.Server.Tests;

/// <summary>
/// Issue 20: the server's online push-attack signal. The real app over a copy of the shop: established shoppers and a few
/// newcomers browse, then 30 fresh accounts push three unpopular items; GET /api/trust/surge must flag exactly those items and
/// list exactly those accounts, flag nothing before the attack, count the items in /metrics, and drop a deleted account; then 30
/// more push a single item, which is flagged alone.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class SurgeSignalTests(ShopStore shop)
{
    private static readonly string[] Targets = ["i230", "i231", "i232"];

    private static object Views(string user, IEnumerable<string> items) => new { events = items.Select(i => new { user, item = i, kind = "view" }).ToArray() };

    [Fact]
    public async Task A_burst_of_new_accounts_pushing_the_same_items_is_flagged_and_genuine_traffic_is_not()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("surge.db"));
        var start = DateTime.UtcNow;
        while (!(await Surge(app)).GetProperty("primed").GetBoolean())
        {
            Assert.True(DateTime.UtcNow - start < TimeSpan.FromSeconds(30), "the signal loads the established users within 30 s");
            await Task.Delay(50);
        }
        var rng = new Random(20);
        async Task Post(string user, IEnumerable<string> items) =>
            Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Views(user, items)))).Status);

        // Genuine traffic: 150 of the shop's customers view 3 items each; 20 newcomers view 3 of the 20 first items (the shop's busiest).
        for (var u = 0; u < 150; u++) await Post("u" + u, Enumerable.Range(0, 3).Select(_ => "i" + rng.Next(240)));
        for (var n = 0; n < 20; n++) await Post("newcomer-" + n, Enumerable.Range(0, 3).Select(_ => "i" + rng.Next(20)));
        var genuine = (await Surge(app)).GetProperty("report");
        Assert.Empty(Flagged(genuine));
        Assert.Equal(0, genuine.GetProperty("suspect_accounts").GetArrayLength());
        Assert.Equal(170, genuine.GetProperty("accounts").GetInt32());
        Assert.Equal(20, genuine.GetProperty("new_accounts").GetInt32());

        // The attack: 30 fresh accounts each view the three targets and two random filler items.
        var fakes = Enumerable.Range(0, 30).Select(f => "fake-" + f).ToArray();
        foreach (var f in fakes) await Post(f, Targets.Concat(Enumerable.Range(0, 2).Select(_ => "i" + rng.Next(230))));
        var attacked = (await Surge(app)).GetProperty("report");
        Assert.Equal(Targets, Flagged(attacked).Order());
        foreach (var item in attacked.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("flagged").GetBoolean()))
        {
            Assert.Equal(30, item.GetProperty("new_accounts").GetInt32());
            Assert.Equal(1.0, item.GetProperty("burst").GetDouble());   // all within seconds
            var self = item.GetProperty("item").GetString();
            Assert.Equal(Targets.Where(t => t != self), item.GetProperty("co_pushed").EnumerateArray().Select(e => e.GetString()));
        }
        var pseudonyms = fakes.Select(app.Pseudonym).Order().ToArray();
        Assert.Equal(pseudonyms, Accounts(attacked));
        Assert.All(attacked.GetProperty("suspect_accounts").EnumerateArray(), a => Assert.Equal(3, a.GetProperty("flagged_items").GetInt32()));

        using (var metrics = await app.Client.GetAsync("/metrics"))
            Assert.Matches(new Regex("(?m)^merx_trust_surge_items(\\{[^}]*\\})? 3$"), await metrics.Content.ReadAsStringAsync());

        // A deleted account leaves the signal at once; the other 29 still flag the targets.
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/users/fake-0"))).Status);
        var after = (await Surge(app)).GetProperty("report");
        Assert.Equal(pseudonyms.Where(p => p != app.Pseudonym("fake-0")), Accounts(after));
        Assert.Equal(Targets, Flagged(after).Order());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.SendAsync(app.Write(HttpMethod.Get, "/api/trust/surge?watch=101"))).Status);

        // A one-item push: 30 more fresh accounts each view i233 and two random filler items. No second item shares their
        // new accounts, but 30 (3 × the 10 the server needs) arrived within seconds: flagged alone, its accounts listed.
        var solo = Enumerable.Range(0, 30).Select(f => "solo-" + f).ToArray();
        foreach (var f in solo) await Post(f, new[] { "i233" }.Concat(Enumerable.Range(0, 2).Select(_ => "i" + rng.Next(230))));
        var pushed = (await Surge(app)).GetProperty("report");
        Assert.Equal([.. Targets, "i233"], Flagged(pushed).Order());
        var one = pushed.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("item").GetString() == "i233");
        Assert.True(one.GetProperty("alone").GetBoolean());
        Assert.Equal(0, one.GetProperty("co_pushed").GetArrayLength());
        Assert.Equal(pseudonyms.Where(p => p != app.Pseudonym("fake-0")).Concat(solo.Select(app.Pseudonym)).Order(), Accounts(pushed));
    }

    private static async Task<JsonElement> Surge(MerxTestApp app)
    {
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Get, "/api/trust/surge"));
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    private static string[] Flagged(JsonElement report) =>
        report.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("flagged").GetBoolean()).Select(i => i.GetProperty("item").GetString()!).ToArray();

    private static string[] Accounts(JsonElement report) =>
        report.GetProperty("suspect_accounts").EnumerateArray().Select(a => a.GetProperty("account").GetString()!).Order().ToArray();
}
