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
}
