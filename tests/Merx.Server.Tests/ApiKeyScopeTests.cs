using System.Net;
using Merx.Service.Security;

namespace Merx.Server.Tests;

/// <summary>Scoped API keys (issue #20): read, write and admin keys side by side; a keys file rotated without a restart; MERX_API_KEY stays an admin key.</summary>
[Collection(ShopCollection.Name)]
public sealed class ApiKeyScopeTests(ShopStore shop)
{
    private const string ReadKey = "read-key-0123456789", WriteKey = "write-key-0123456789", AdminKey = "admin-key-0123456789";

    private static object Event(string user) => new { user, item = "i1", kind = "view" };

    [Fact]
    public async Task Each_route_needs_its_scope()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("scopes.db"), o => { o.ApiKey = null; o.ApiKeys = $"read:{ReadKey}, write:{WriteKey},admin:{AdminKey}"; });
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("scoped-r"), ReadKey))).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("scoped-w"), WriteKey))).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("scoped-a"), AdminKey))).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/sessions/recommendations", new { items = new[] { "i1" }, n = 3 }, ReadKey))).Status);
        // Forgetting a user, training and experiments are admin's.
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/users/scoped-w", key: WriteKey))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", new { id = "x" }, WriteKey))).Status);
        Assert.Single(app.Store.RecentEvents(app.Pseudonym("scoped-w"), 5));
        Assert.Empty(app.Store.RecentEvents(app.Pseudonym("scoped-r"), 5));
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/users/scoped-w", key: AdminKey))).Status);
        Assert.Empty(app.Store.RecentEvents(app.Pseudonym("scoped-w"), 5));
        var (status, body) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("scoped-x"), "not-a-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.DoesNotContain(ReadKey, body.ToString());
    }

    [Fact]
    public async Task A_key_in_the_file_is_rotated_without_a_restart()
    {
        var file = Path.Combine(shop.Dir, "keys.txt");
        File.WriteAllText(file, $"# rotation test\nwrite {WriteKey}\n");
        await using var app = await MerxTestApp.StartAsync(shop.Copy("rotate-keys.db"), o => { o.ApiKey = AdminKey; o.ApiKeysFile = file; });
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("rot-1"), WriteKey))).Status);
        File.WriteAllText(file, "write new-write-key-0123456789\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
        await Task.Delay(1100);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("rot-2"), WriteKey))).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("rot-3"), "new-write-key-0123456789"))).Status);
        // MERX_API_KEY (ApiKey) keeps working beside the file, as an admin key.
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/users/rot-3", key: AdminKey))).Status);
        // A broken file keeps the keys read before and names the line, not a key.
        File.WriteAllText(file, "superuser secret-value\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
        await Task.Delay(1100);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", Event("rot-4"), "new-write-key-0123456789"))).Status);
    }

    [Fact]
    public void The_ring_parses_scopes_and_refuses_bad_input()
    {
        var ring = new ApiKeyRing("admin-1", "read:r1,write:w1", null);
        Assert.Equal(ApiScope.Admin, ring.Find("admin-1"));
        Assert.Equal(ApiScope.Read, ring.Find("r1"));
        Assert.Equal(ApiScope.Write, ring.Find("w1"));
        Assert.Null(ring.Find("r2"));
        Assert.Null(ring.Find(""));
        Assert.True(ring.Allows("w1", ApiScope.Read));
        Assert.False(ring.Allows("r1", ApiScope.Write));
        Assert.Equal("API keys: 1 read, 1 write, 1 admin", ring.ToString());
        Assert.Contains("scope:key", Assert.Throws<ArgumentException>(() => new ApiKeyRing(null, "r1", null)).Message);
        var e = Assert.Throws<ArgumentException>(() => new ApiKeyRing(null, "owner:secret-value", null));
        Assert.Contains("unknown scope 'owner'", e.Message);
        Assert.DoesNotContain("secret-value", e.Message);
        Assert.Contains("an API key is required", Assert.Throws<ArgumentException>(() => new ApiKeyRing(null, " ", null)).Message);
    }
}
