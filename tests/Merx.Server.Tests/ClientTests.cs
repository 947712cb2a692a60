using System.Reflection;
using System.Text.Json;
using Merx.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Merx.Server.Tests;

/// <summary>Issue 22: the typed client (src/Merx.Client) against the real server.</summary>
[Collection(ShopCollection.Name)]
public sealed class ClientTests(ShopStore shop)
{
    /// <summary>Counts the attempts that reach the server (inside the resilience handler).</summary>
    private sealed class Attempts : DelegatingHandler
    {
        public int Count;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Count);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static (MerxClient Client, Attempts Attempts, ServiceProvider Services) FromFactory(MerxTestApp app, string? key = MerxTestApp.Key)
    {
        var services = new ServiceCollection();
        var attempts = new Attempts();
        services.AddMerxClient(o => { o.BaseAddress = new Uri("http://localhost"); o.ApiKey = key; }, r =>
            {
                r.Retry.Delay = TimeSpan.Zero;
                r.Retry.UseJitter = false;
                r.Retry.BackoffType = Polly.DelayBackoffType.Constant;
            })
            .AddHttpMessageHandler(() => attempts)
            .ConfigurePrimaryHttpMessageHandler(() => app.App.GetTestServer().CreateHandler());
        var sp = services.BuildServiceProvider();
        return (sp.GetRequiredService<MerxClient>(), attempts, sp);
    }

    [Fact]
    public async Task Every_endpoint_of_the_OpenAPI_document_has_a_client_method_and_every_method_an_endpoint()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        using var doc = JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json"));
        var served = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject())
                served.Add($"{op.Name.ToUpperInvariant()} {path.Name}");
        var client = new SortedSet<string>(typeof(MerxClient).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Select(m => m.GetCustomAttribute<MerxEndpointAttribute>()).OfType<MerxEndpointAttribute>().Select(a => $"{a.Method} {a.Route}"), StringComparer.Ordinal);
        Assert.True(served.Count >= 28, $"only {served.Count} endpoints in the document");
        Assert.Equal(served, client); // a new endpoint needs a client method, and a removed one loses it
    }

    [Fact]
    public async Task The_typed_client_ingests_recommends_searches_takes_feedback_and_forgets()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("client.db"));
        var (merx, attempts, sp) = FromFactory(app);
        await using var _ = sp;
        var accepted = await merx.PostEventsAsync([new MerxEvent("client-user-1", "i3", "view"), new MerxEvent("client-user-1", "i4", "purchase")]);
        Assert.Equal(2, accepted.Accepted);
        var recs = await merx.RecommendAsync("client-user-1", 5, new RecommendationOptions(Debug: true));
        Assert.Equal(5, recs.Items.Count);
        Assert.DoesNotContain(recs.Items, r => r.Item is "i3" or "i4"); // seen items are excluded
        Assert.NotNull(recs.Stages);
        Assert.StartsWith("r_", recs.RecommendationId);
        var fb = await merx.PostFeedbackAsync([new Feedback(recs.RecommendationId, recs.Items[0].Item, "click")]);
        Assert.Equal((1, 1), (fb.Accepted, fb.EventsRecorded));
        var picture = Merx.Tests.Shared.DrawnImages.Draw(SkiaSharp.SKColors.Orange);                 // issue #19: an image as bytes, then removed
        var image = await merx.PutItemImageAsync("i3", picture, "image/png");
        Assert.Equal(("i3", Merx.Encoders.CatalogImageEncoding.Hash(picture, Merx.Encoders.ImageEncoder.ModelId)), (image.Item, image.ImageHash));
        await merx.DeleteItemImageAsync("i3");
        Assert.Equal(404, (await Assert.ThrowsAsync<MerxApiException>(() => merx.DeleteItemImageAsync("i3"))).Status);
        var similar = await merx.SimilarAsync("i3", 4);
        Assert.Equal("i3", similar.Item);
        Assert.Equal(4, similar.Items.Count);
        var title = app.Store.GetItem("i7")!.Title!;
        var search = await merx.SearchAsync(title, n: 3);
        Assert.Equal("i7", search.Items[0].Item);
        var models = await merx.ModelsAsync();
        Assert.Contains(models.Models, m => m.Name == "sasrec" && m.Serving);
        Assert.Equal(1, (await merx.UpsertItemsAsync([new MerxItem("client-item-1", "A client-made lamp", Category: "lamps")])).Upserted);
        Assert.Equal(new StockSet("i9", false), await merx.SetStockAsync("i9", false));
        // One customer across platforms: an app id with a platform-tagged view, linked, then unlinked and linked again; forgetting covers it.
        await merx.PostEventsAsync([new MerxEvent("client-app-1", "i5", "view", Platform: "app")]);
        Assert.Equal(new UsersLinked("client-user-1", "client-app-1", 2), await merx.LinkUserAsync("client-user-1", "client-app-1"));
        var linkedRecs = await merx.RecommendAsync("client-user-1", 5, new RecommendationOptions(Explore: false, Platform: "app"));
        Assert.DoesNotContain(linkedRecs.Items, r => r.Item is "i3" or "i4" or "i5");
        Assert.Equal(new UserUnlinked("client-app-1", 1), await merx.UnlinkUserAsync("client-app-1"));
        await merx.LinkUserAsync("client-app-1", "client-user-1");
        var forgotten = await merx.ForgetAsync("client-user-1");
        Assert.Equal(4, forgotten.EventsRemoved); // the two posted events, the click and the linked app id's view
        Assert.Equal(17, attempts.Count); // one attempt per call: nothing failed, nothing retried (a 404 is not retried)

        var error = await Assert.ThrowsAsync<MerxApiException>(() => merx.RecommendAsync("client-user-1", -1));
        Assert.Equal(400, error.Status);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
    }

    [Fact]
    public async Task Reads_are_retried_writes_are_not_and_cancellation_stops_the_call()
    {
        var empty = Path.Combine(shop.Dir, "client-empty.db"); // no model published: recommendations answer 503
        await using var app = await MerxTestApp.StartAsync(empty);
        var (merx, attempts, sp) = FromFactory(app);
        await using var _ = sp;
        var error = await Assert.ThrowsAsync<MerxApiException>(() => merx.RecommendAsync("u1", 3));
        Assert.Equal(503, error.Status);
        Assert.Equal(1 + 3, attempts.Count); // the standard handler's three retries
        attempts.Count = 0;
        await Assert.ThrowsAsync<MerxApiException>(() => merx.TrainAsync(["no-such-model"]));
        Assert.Equal(1, attempts.Count);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => merx.StatsAsync(cancelled.Token));
    }
}
