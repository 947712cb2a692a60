using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.Json;

namespace Merx.Server.Tests;

[Collection(ShopCollection.Name)]
public sealed class ExperimentApiTests(ShopStore shop)
{
    [Fact]
    public async Task Users_are_assigned_stably_served_lists_are_tagged_and_feedback_reaches_the_report_across_restarts()
    {
        var experiment = new
        {
            id = "explore-test",
            variants = new object[] { new { name = "control", share = 0.5 }, new { name = "no_explore", share = 0.5, explore = false } },
            metric = "click",
        };
        var clicks = 0;
        await using (var app = await MerxTestApp.StartAsync(shop.DbPath))
        {
            var (created, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", experiment));
            Assert.Equal(HttpStatusCode.Created, created);
            try
            {
                var (conflict, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", experiment with { }));
                Assert.Equal(HttpStatusCode.BadRequest, conflict); // same id
                var variants = new Dictionary<string, string>();
                for (var u = 0; u < 40; u++)
                {
                    var (_, a) = await app.GetAsync($"/api/users/u{u}/recommendations?n=10");
                    var (_, b) = await app.GetAsync($"/api/users/u{u}/recommendations?n=10");
                    var tag = a.GetProperty("variant").GetString()!;
                    Assert.Equal(tag, b.GetProperty("variant").GetString());
                    variants[$"u{u}"] = tag;
                    if (tag.EndsWith(":no_explore", StringComparison.Ordinal))
                        Assert.DoesNotContain(a.GetProperty("items").EnumerateArray(), i => i.GetProperty("explored").GetBoolean());
                    if (u % 4 == 0)
                    {
                        var item = a.GetProperty("items")[0].GetProperty("item").GetString();
                        var (fb, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = a.GetProperty("recommendation_id").GetString(), item, kind = "click" }));
                        Assert.Equal(HttpStatusCode.OK, fb);
                        clicks++;
                    }
                }
                Assert.Equal(2, variants.Values.Distinct().Count());
                var (_, report) = await app.GetAsync("/api/experiments/explore-test");
                Assert.Equal(40, report.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("users").GetInt64()));
                Assert.Equal(clicks, report.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("clicks").GetInt64()));
                Assert.False(string.IsNullOrWhiteSpace(report.GetProperty("verdict").GetString()));
                app.App.Services.GetRequiredService<Merx.Service.Serving.ServedLog>().Flush();
            }
            catch
            {
                await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments/explore-test/stop"));
                throw;
            }
        }
        // A new process over the same store rebuilds the tallies from the served lists and the feedback.
        await using (var again = await MerxTestApp.StartAsync(shop.DbPath))
        {
            var (_, report) = await again.GetAsync("/api/experiments/explore-test");
            Assert.Equal(40, report.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("users").GetInt64()));
            Assert.Equal(clicks, report.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("clicks").GetInt64()));
            var (stopped, _) = await again.SendAsync(again.Write(HttpMethod.Post, "/api/experiments/explore-test/stop"));
            Assert.Equal(HttpStatusCode.OK, stopped);
            var (_, after) = await again.GetAsync("/api/users/u1/recommendations?n=3");
            Assert.False(after.TryGetProperty("variant", out _));
        }
    }

    [Theory]
    [InlineData("{\"id\": \"x\", \"variants\": [{\"name\": \"a\", \"share\": 1}]}", "at least two variants")]
    [InlineData("{\"id\": \"x\", \"variants\": [{\"name\": \"a\", \"share\": 0.5}, {\"name\": \"b\", \"share\": 0.4}]}", "")]
    [InlineData("{\"id\": \"bad id!\", \"variants\": [{\"name\": \"a\", \"share\": 0.5}, {\"name\": \"b\", \"share\": 0.5}]}", "experiment id")]
    [InlineData("{\"id\": \"x\", \"variants\": [{\"name\": \"a\", \"share\": 0.5}, {\"name\": \"b\", \"share\": 0.5}], \"metric\": \"likes\"}", "metric")]
    public async Task Bad_definitions_get_400(string body, string mention)
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (status, problem) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(mention, problem.GetRawText());
    }
}
