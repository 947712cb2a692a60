using System.Net;
using Merx.Service.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Server.Tests;

/// <summary>The bandit policy in the service: feedback teaches it at once, its state is saved and restored (issue #6).</summary>
[Collection(ShopCollection.Name)]
public sealed class PolicyApiTests(ShopStore shop)
{
    [Fact]
    public async Task Feedback_updates_the_policy_and_its_state_survives_a_restart()
    {
        byte[] saved;
        await using (var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = "thompson"))
        {
            var host = app.App.Services.GetRequiredService<PolicyHost>();
            var before = host.Policy!.SaveState();
            var (_, recs) = await app.GetAsync("/api/users/u7/recommendations?n=6");
            Assert.Contains("explore:thompson", (await app.GetAsync("/api/users/u7/recommendations?n=6&debug=true")).Body.GetRawText());
            var id = recs.GetProperty("recommendation_id").GetString();
            var items = recs.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).ToArray();
            var feedback = items.Select((item, k) => new { recommendation_id = id, item, kind = k == 2 ? "click" : "impression" }).ToArray();
            var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { feedback }));
            Assert.Equal(HttpStatusCode.OK, status);
            saved = host.Policy.SaveState();
            Assert.NotEqual(before, saved);
            host.Save();
            Assert.Equal(saved, app.Store.GetState("policy:thompson"));
        }
        await using (var again = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = "thompson"))
        {
            var host = again.App.Services.GetRequiredService<PolicyHost>();
            Assert.Equal(saved, host.Policy!.SaveState());
        }
    }

    [Fact]
    public async Task The_default_dynamic_policy_labels_what_it_explores()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var explored = 0;
        for (var u = 0; u < 30; u++)
        {
            var (status, body) = await app.GetAsync($"/api/users/u{u}/recommendations?n=10");
            Assert.Equal(HttpStatusCode.OK, status);
            foreach (var item in body.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("explored").GetBoolean()))
            {
                explored++;
                Assert.StartsWith("something new for you", item.GetProperty("reason").GetString());
                Assert.Equal("explore", item.GetProperty("source").GetString());
            }
            Assert.Equal(10, body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).Distinct().Count());
        }
        Assert.InRange(explored, 1, 30 * 10 - 1);
    }

    /// <summary>
    /// "dynamic:B" caps the explored share of established users' slots at B over any window (issue #23).
    /// Each list's user group comes from the served log (new users have their own, larger budget, so their
    /// slots are left out of the bound). Without feedback the meta-policy draws its arms at random, so some
    /// requests are served by exploring arms and the cap binds.
    /// </summary>
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.4)]
    public async Task The_dynamic_policy_keeps_its_exploration_budget(double budget)
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.Policy = FormattableString.Invariant($"dynamic:{budget}"));
        int explored = 0, slots = 0, all = 0;
        var log = app.App.Services.GetRequiredService<Merx.Service.Serving.ServedLog>();
        for (var r = 0; r < 300; r++)
        {
            var (status, body) = await app.GetAsync($"/api/users/u{r % 300}/recommendations?n=10");
            Assert.Equal(HttpStatusCode.OK, status);
            var items = body.GetProperty("items").EnumerateArray().ToArray();
            all += items.Length;
            log.Flush();
            if (app.Store.GetServed(body.GetProperty("recommendation_id").GetString()!)!.UserGroup != "established") continue;
            slots += items.Length;
            explored += items.Count(i => i.GetProperty("explored").GetBoolean());
            Assert.True(explored <= budget * slots + Math.Max(1, budget * 10) + 1e-9, $"{explored} explored of {slots} established users' slots after {r + 1} requests");
        }
        Assert.InRange(all, 2_950, 3_000);
        Assert.InRange(slots, 1_000, all); // about 40 % of the test shop's requests come from established users (1,180 of 3,000 when measured)
        Assert.True(explored > budget * slots / 4, $"{explored} explored of {slots} slots");
    }
}
