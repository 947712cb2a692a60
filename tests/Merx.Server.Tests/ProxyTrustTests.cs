using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Merx.Server.Tests;

/// <summary>
/// Trust behind a reverse proxy (issue #16): a proxy on the server's machine makes every request come
/// from loopback, so locality must be decided from the real client, and a page that went through a
/// proxy never carries the API key.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ProxyTrustTests(ShopStore shop)
{
    /// <summary>One GET on the test host from <paramref name="peer"/>, optionally with X-Forwarded-For or Forwarded.</summary>
    private static async Task<(int Status, string Body)> Get(MerxTestApp app, string pathAndQuery, string peer = "127.0.0.1", string host = "localhost",
        string? forwardedFor = null, string? forwarded = null, string? key = null)
    {
        var ctx = await app.App.GetTestServer().SendAsync(c =>
        {
            var q = pathAndQuery.IndexOf('?');
            c.Request.Method = "GET";
            c.Request.Path = q < 0 ? pathAndQuery : pathAndQuery[..q];
            if (q >= 0) c.Request.QueryString = new QueryString(pathAndQuery[q..]);
            c.Request.Host = new HostString(host);
            c.Connection.RemoteIpAddress = IPAddress.Parse(peer);
            if (forwardedFor is not null) c.Request.Headers["X-Forwarded-For"] = forwardedFor;
            if (forwarded is not null) c.Request.Headers["Forwarded"] = forwarded;
            if (key is not null) c.Request.Headers["X-Api-Key"] = key;
        });
        return (ctx.Response.StatusCode, await new StreamReader(ctx.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task A_request_through_a_proxy_on_this_machine_is_not_local_without_a_trusted_proxy()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        // nginx on the same machine: the peer is loopback and it passes the browser's Host as localhost.
        var page = await Get(app, "/", forwardedFor: "203.0.113.7");
        Assert.Equal(401, page.Status);
        Assert.DoesNotContain(MerxTestApp.Key, page.Body);
        var rfc7239 = await Get(app, "/", forwarded: "for=203.0.113.7;proto=https");
        Assert.Equal(401, rfc7239.Status);
        Assert.DoesNotContain(MerxTestApp.Key, rfc7239.Body);
        // The API's reads need the key too: the real client is unknown, so not local.
        Assert.Equal(401, (await Get(app, "/api/stats", forwardedFor: "203.0.113.7")).Status);
        Assert.Equal(401, (await Get(app, "/api/stats", forwarded: "for=203.0.113.7")).Status);
        Assert.Equal(200, (await Get(app, "/api/stats", forwardedFor: "203.0.113.7", key: MerxTestApp.Key)).Status);
        // A direct request from this machine is still local: the page carries the key, reads need none.
        var direct = await Get(app, "/");
        Assert.Equal(200, direct.Status);
        Assert.Contains($"content=\"{MerxTestApp.Key}\"", direct.Body);
        Assert.Equal(200, (await Get(app, "/api/stats")).Status);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_locality_is_the_real_clients_and_the_page_never_carries_the_key()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath, o => o.TrustedProxies = "127.0.0.1, 10.0.0.0/8");
        // A remote browser through the trusted nginx: reads need the key, the page asks for it.
        Assert.Equal(401, (await Get(app, "/api/stats", forwardedFor: "203.0.113.7")).Status);
        Assert.Equal(200, (await Get(app, "/api/stats", forwardedFor: "203.0.113.7", key: MerxTestApp.Key)).Status);
        var remote = await Get(app, "/", forwardedFor: "203.0.113.7");
        Assert.Equal(401, remote.Status);
        Assert.DoesNotContain(MerxTestApp.Key, remote.Body);
        // A client that forges X-Forwarded-For: 127.0.0.1 through nginx (which appends the real address) stays remote.
        Assert.Equal(401, (await Get(app, "/api/stats", forwardedFor: "127.0.0.1, 203.0.113.7")).Status);
        // Two trusted hops (a proxy in 10.0.0.0/8, then nginx on loopback) lead back to the real client.
        Assert.Equal(200, (await Get(app, "/api/stats", forwardedFor: "127.0.0.1, 10.1.2.3")).Status);
        Assert.Equal(401, (await Get(app, "/api/stats", forwardedFor: "203.0.113.7, 10.1.2.3")).Status);
        // A browser on the server's machine through the proxy: reads are local, but the page still never carries the key.
        Assert.Equal(200, (await Get(app, "/api/stats", forwardedFor: "127.0.0.1")).Status);
        var localThroughProxy = await Get(app, "/", forwardedFor: "127.0.0.1");
        Assert.Equal(401, localThroughProxy.Status);
        Assert.DoesNotContain(MerxTestApp.Key, localThroughProxy.Body);
        // Given the key, the page opens (it keeps the key the browser gave).
        Assert.Equal(200, (await Get(app, "/?key=" + MerxTestApp.Key, forwardedFor: "203.0.113.7")).Status);
        // A peer that is not a trusted proxy cannot claim to forward for loopback.
        Assert.Equal(401, (await Get(app, "/api/stats", peer: "192.0.2.9", forwardedFor: "127.0.0.1")).Status);
        Assert.Equal(401, (await Get(app, "/api/stats", peer: "192.0.2.9")).Status);
        // Without forwarding headers a loopback peer is still local.
        Assert.Equal(200, (await Get(app, "/api/stats")).Status);
        Assert.Contains($"content=\"{MerxTestApp.Key}\"", (await Get(app, "/")).Body);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.1/8/2")]
    public async Task A_trusted_proxy_that_is_not_an_address_or_network_stops_the_start(string bad)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => MerxTestApp.StartAsync(shop.DbPath, o => o.TrustedProxies = "127.0.0.1," + bad));
        Assert.Contains($"trusted proxy '{bad}' is neither an IP address nor a CIDR network", e.Message);
    }
}
