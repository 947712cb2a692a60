using System.Net;
using System.Text;

namespace Merx.Server.Tests;

/// <summary>Issue 22: the beacon script and what it sends (the browser half is in Merx.Dashboard.Tests).</summary>
[Collection(ShopCollection.Name)]
public sealed class StorefrontApiTests(ShopStore shop)
{
    [Fact]
    public async Task The_beacon_is_served_as_JavaScript()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        using var response = await app.Client.GetAsync("/merx.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("navigator.sendBeacon", text);
        Assert.Contains("IntersectionObserver", text);
        using var page = await app.Client.GetAsync("/shop");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<script src=\"/merx.js\" data-key=\"" + MerxTestApp.Key + "\"", await page.Content.ReadAsStringAsync()); // the test client counts as local
    }

    [Fact]
    public async Task Feedback_takes_the_beacons_text_plain_body_and_query_key_and_nothing_else_does()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("beacon.db"));
        var (status, rec) = await app.GetAsync("/api/users/u9/recommendations?n=3");
        Assert.Equal(HttpStatusCode.OK, status);
        var id = rec.GetProperty("recommendation_id").GetString();
        var item = rec.GetProperty("items")[0].GetProperty("item").GetString();
        string Body(string kind) => $$"""{"feedback": [{"recommendation_id": "{{id}}", "item": "{{item}}", "kind": "{{kind}}"}]}""";
        HttpRequestMessage Beacon(string url, string kind) => new(HttpMethod.Post, url) { Content = new StringContent(Body(kind), Encoding.UTF8, "text/plain") };

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(Beacon("/api/feedback", "impression"))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(Beacon("/api/feedback?key=wrong", "impression"))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/events?key=" + MerxTestApp.Key)
            { Content = new StringContent("""{"user": "u9", "item": "i1", "kind": "view"}""", Encoding.UTF8, "application/json") })).Status);
        var (ok, body) = await app.SendAsync(Beacon("/api/feedback?key=" + MerxTestApp.Key, "click"));
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Equal((item, Merx.Core.Domain.EventKind.Click), (app.Store.RecentEvents(app.Pseudonym("u9"), 1)[0].Item, app.Store.RecentEvents(app.Pseudonym("u9"), 1)[0].Kind));
    }
}
