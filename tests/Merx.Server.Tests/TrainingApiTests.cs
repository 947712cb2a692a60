using System.Net;

namespace Merx.Server.Tests;

/// <summary>POST /api/models/train, GET /api/models/training and the publication they lead to (issue #16: none had a test).</summary>
[Collection(ShopCollection.Name)]
public sealed class TrainingApiTests(ShopStore shop)
{
    [Fact]
    public async Task Training_on_request_is_accepted_once_reports_its_progress_and_publishes_what_is_then_served()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("training.db"));
        var before = app.Store.LatestModel("sasrec")!.Version;
        var (idle, status) = await app.GetAsync("/api/models/training");
        Assert.Equal(HttpStatusCode.OK, idle);
        Assert.False(status.GetProperty("running").GetBoolean());

        // The key is needed, and the request is checked before anything starts.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "sasrec" } }, key: null))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "sasrec" }, time_budget_minutes = 0 }))).Status);

        var (accepted, started) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "trending", "sasrec" }, time_budget_minutes = 0.05 }));
        Assert.Equal(HttpStatusCode.Accepted, accepted);
        Assert.True(started.GetProperty("running").GetBoolean());
        Assert.Equal(["trending", "sasrec"], started.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        // A second request while the first runs (the Transformer trains for its 3 s budget at least) is refused.
        var (conflict, problem) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "trending" } }));
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("training in progress", problem.GetProperty("title").GetString());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        do { await Task.Delay(200); (_, status) = await app.GetAsync("/api/models/training"); }
        while (status.GetProperty("running").GetBoolean() && clock.Elapsed < TimeSpan.FromMinutes(3));
        Assert.False(status.GetProperty("running").GetBoolean(), "the run should end within its budget and an evaluation");
        Assert.False(status.TryGetProperty("error", out _), status.GetRawText());
        Assert.Equal("done", status.GetProperty("last_message").GetString());
        var published = status.GetProperty("published").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Assert.Equal([app.Store.LatestModel("trending")!.Version, app.Store.LatestModel("sasrec")!.Version], published);
        Assert.True(published[1] > before);

        // The host was poked: the new Transformer is what is served now.
        clock.Restart();
        while (app.Host.Current?.Primary?.Version.Version != published[1] && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        var (_, models) = await app.GetAsync("/api/models");
        var served = models.GetProperty("models").EnumerateArray().Where(m => m.GetProperty("serving").GetBoolean()).Select(m => m.GetProperty("version").GetInt64()).ToArray();
        Assert.Contains(published[1], served);
        Assert.Contains(published[0], served);
        Assert.DoesNotContain(before, served);
        // And a new run may start once the last one ended.
        Assert.Equal(HttpStatusCode.Accepted, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/models/train", new { models = new[] { "trending" } }))).Status);
        clock.Restart();
        do { await Task.Delay(200); (_, status) = await app.GetAsync("/api/models/training"); }
        while (status.GetProperty("running").GetBoolean() && clock.Elapsed < TimeSpan.FromMinutes(2));
        Assert.Equal([app.Store.LatestModel("trending")!.Version], status.GetProperty("published").EnumerateArray().Select(v => v.GetInt64()));
    }
}
