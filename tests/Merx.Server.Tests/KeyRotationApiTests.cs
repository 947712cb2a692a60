using System.Net;
using Merx.Core.Contracts;
using Merx.Core.Domain;
using Merx.Privacy.Pseudonymization;
using Merx.Privacy.Scrubbing;
using Merx.Service.Experiments;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Server.Tests;

/// <summary>
/// Lazy key rotation at the HTTP door (issue #7): a store made under v1, served with v2 as the key and v1
/// as an older key; returning users are renamed with their history, forgetting reaches every key.
/// </summary>
public sealed class KeyRotationApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-rotation-api-").FullName;
    private readonly string _db;

    /// <summary>30 background users make i0, i1, i2 the trending items; rot-* and f-* users are the ones the tests bring back.</summary>
    public KeyRotationApiTests()
    {
        _db = Path.Combine(_dir, "rot.db");
        using var store = SqliteStore.Open(_db);
        using var ids = new UserIds(PseudonymKey.Parse(KeyRotationTests.V1));
        PseudonymKeys.Bind(store, ids.Key, "the tests");
        var events = new List<RawEvent>();
        var t = 1_700_000_000L;
        for (var u = 0; u < 30; u++)
            foreach (var item in new[] { "i0", "i1", "i2", $"i{3 + u % 7}" }) events.Add(new RawEvent($"bg-{u}", item, EventKind.View, t++));
        foreach (var u in new[] { "rot-1", "rot-2", "f-1", "f-2" }) { events.Add(new RawEvent(u, "i0", EventKind.View, t++)); events.Add(new RawEvent(u, "i1", EventKind.Purchase, t++)); }
        store.AppendEvents(new IngestPrivacy(ids).Events(events, new ScrubReport()));
        ModelTrainer.Train(store, ["trending"], new FitOptions { Seed = 1 });
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private Task<MerxTestApp> Start(string key = KeyRotationTests.V2, string? old = KeyRotationTests.V1) =>
        MerxTestApp.StartAsync(_db, o => { o.PseudonymKey = key; o.PseudonymOldKeys = old; o.PrimaryModel = "trending"; o.Policy = "discovery"; });

    private static string P(string key, string id)
    {
        using var p = new Pseudonymizer(PseudonymKey.Parse(key));
        return p.Pseudonymize(id);
    }


    private bool StoreFilesHold(string text) => PrivacyApiTests.FileContains(_db, text) || PrivacyApiTests.FileContains(_db + "-wal", text);

    [Fact]
    public async Task Returning_users_are_renamed_with_their_history_and_new_events_join_it()
    {
        await using var app = await Start();
        var (old1, new1) = (P(KeyRotationTests.V1, "rot-1"), P(KeyRotationTests.V2, "rot-1"));
        Assert.True(StoreFilesHold(old1), "the scan must find the old pseudonym before");

        // An event: the v1 user is renamed first, so the event joins their history.
        var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new object[] { new { user = "rot-1", item = "i5", kind = "view" }, new { user = "newcomer-1", item = "i6", kind = "view" } } }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["i5", "i1", "i0"], app.Store.RecentEvents(new1, 10).Select(e => e.Item));
        Assert.Empty(app.Store.RecentEvents(old1, 10));
        Assert.StartsWith("p2_", app.Pseudonym("newcomer-1"));
        Assert.Single(app.Store.RecentEvents(P(KeyRotationTests.V2, "newcomer-1"), 10));
        var (_, listed) = await app.GetAsync("/api/users/rot-1/events?limit=10");
        Assert.Equal(new1, listed.GetProperty("pseudonym").GetString());
        Assert.Equal(3, listed.GetProperty("events").GetArrayLength());

        // Recommendations see the history of a user renamed by the request itself: their items are excluded as seen.
        var (_, fresh) = await app.GetAsync("/api/users/nobody-seen-before/recommendations?n=5");
        Assert.Contains("i0", Items(fresh));
        var (rs, recs) = await app.GetAsync("/api/users/rot-2/recommendations?n=5");
        Assert.Equal(HttpStatusCode.OK, rs);
        Assert.DoesNotContain("i0", Items(recs));
        Assert.DoesNotContain("i1", Items(recs));
        Assert.Equal(2, app.Store.RecentEvents(P(KeyRotationTests.V2, "rot-2"), 10).Count);

        // Nothing is left under the old pseudonyms: not in the file, its log (once checkpointed: renames
        // checkpoint at most once a second, so the second rename's page images may still be in the log), or the server's memory.
        app.Store.EraseFreedSpace(rebuild: false);
        var histories = app.App.Services.GetRequiredService<HistoryCache>();
        foreach (var user in new[] { "rot-1", "rot-2" })
        {
            Assert.False(StoreFilesHold(P(KeyRotationTests.V1, user)), $"the file still holds {user}'s old pseudonym");
            Assert.False(histories.Holds(P(KeyRotationTests.V1, user)));
        }
        var rotation = RotationStatus.Of(app.Store, 2);
        Assert.Equal([(1, 32L)], rotation.Older); // 30 background users and f-1, f-2 have not come back
        Assert.Equal(2, app.App.Services.GetRequiredService<UserIds>().Rekeying!.Counters.Renamed);
        var (_, dashboard) = await app.SendAsync(app.Write(HttpMethod.Get, "/api/dashboard/status"));
        Assert.Equal(2, dashboard.GetProperty("privacy").GetProperty("key_rotation").GetProperty("users_renamed_by_this_server").GetInt64());
    }

    [Fact]
    public async Task Forgetting_during_a_rotation_leaves_no_trace_under_either_pseudonym()
    {
        await using var app = await Start();
        var (created, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", new { id = "rot-exp", variants = new object[] { new { name = "a", share = 0.5 }, new { name = "b", share = 0.5 } } }));
        Assert.Equal(HttpStatusCode.Created, created);
        // f-1 comes back (renamed), gets recommendations and clicks one; f-2 never comes back (still under v1).
        await app.SendAsync(app.Write(HttpMethod.Put, "/api/users/f-1", new { attributes = new Dictionary<string, string> { ["tier"] = "gold" } }));
        var (_, recs) = await app.GetAsync("/api/users/f-1/recommendations?n=3");
        var recId = recs.GetProperty("recommendation_id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = recId, item = Items(recs)[0], kind = "click" }))).Status);
        app.App.Services.GetRequiredService<ServedLog>().Flush();
        var current = P(KeyRotationTests.V2, "f-1");
        var policies = app.App.Services.GetRequiredService<PolicyHost>();
        var experiments = app.App.Services.GetRequiredService<ExperimentService>();
        Assert.True(policies.Remembers(current));
        Assert.True(experiments.Tracks(current));
        Assert.Equal(3, app.Store.RecentEvents(current, 10).Count);

        foreach (var (user, removed) in new[] { ("f-1", 3L), ("f-2", 2L) })
        {
            var (status, body) = await app.SendAsync(app.Write(HttpMethod.Delete, $"/api/users/{user}"));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(removed, body.GetProperty("events_removed").GetInt64());
        }
        Assert.False(policies.Remembers(current));
        Assert.False(experiments.Tracks(current));
        Assert.False(app.App.Services.GetRequiredService<HistoryCache>().Holds(current));
        Assert.Null(app.Store.GetServed(recId));
        foreach (var user in new[] { "f-1", "f-2" })
            foreach (var key in new[] { KeyRotationTests.V1, KeyRotationTests.V2 })
                Assert.False(StoreFilesHold(P(key, user)), $"the file still holds {user}'s pseudonym under {key[..2]}");
        Assert.False(StoreFilesHold(recId));
        await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments/rot-exp/stop"));
    }

    [Fact]
    public async Task Once_a_rotation_began_the_old_key_alone_and_unknown_keys_are_refused()
    {
        await (await Start()).DisposeAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Start(KeyRotationTests.V1, null));
        Assert.Contains("was retired on this store", e.Message);
        e = await Assert.ThrowsAsync<InvalidOperationException>(() => Start("v2:an-unknown-key-0123456789abcdefghijklmnopq", KeyRotationTests.V1));
        Assert.Contains("this store was pseudonymized with key v2:", e.Message);
        var f = await Assert.ThrowsAsync<FormatException>(() => Start(KeyRotationTests.V2, "v1:short"));
        Assert.Contains("configured older pseudonymization keys[0]", f.Message);
        // The new key alone still serves (users under v1 are unreachable until the old key is given again).
        await using var app = await Start(KeyRotationTests.V2, null);
        Assert.Null(app.App.Services.GetRequiredService<UserIds>().Rekeying);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/api/users/rot-1/recommendations?n=3")).Status);
        Assert.Equal(2, app.Store.RecentEvents(P(KeyRotationTests.V1, "rot-1"), 10).Count);
    }

    private static string[] Items(System.Text.Json.JsonElement recs) => recs.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
}
