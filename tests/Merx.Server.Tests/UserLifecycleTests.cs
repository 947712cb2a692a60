using System.Net;
using Merx.Core.Domain;
using Merx.Service.Experiments;
using Merx.Service.Serving;
using Merx.Service.Users;
using Merx.Storage;
using Merx.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Merx.Server.Tests;

/// <summary>
/// Issue 16: a user deleted or renamed through another connection to the store (another process or
/// replica) reaches every holder of per-user state: the served-list buffer, the policy's memory and the
/// experiment tallies (the history cache across real processes: Merx.Cli.Tests' CrossProcessUserChangeTests).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class UserLifecycleTests(ShopStore shop) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-lifecycle-").FullName;
    private string Db => Path.Combine(_dir, "l.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // Stamped later than the deletion, so the store's own guard (a list served before its user's deletion is not written) lets it
    // through: what keeps it out here is the buffer's forgetting.
    private static ServedRecommendation Served(string id, string user) => new(id, user, DateTimeOffset.UtcNow.AddHours(1), null, "full", null, ["i1"], [false]);

    [Fact]
    public void Unwritten_lists_of_users_deleted_or_renamed_elsewhere_are_dropped_or_re_addressed()
    {
        using var store = SqliteStore.Open(Db);
        store.AppendEvents([new RawEvent("p1_old", "i1", EventKind.View, 1)]);
        var lifecycle = new UserLifecycle(store);
        var log = lifecycle.Register(new ServedLog(store, NullLogger<ServedLog>.Instance));
        log.Add(Served("r1", "p1_gone"));
        log.Add(Served("r2", "p1_old"));
        log.Add(Served("r3", "p1_stays"));
        using (var other = SqliteStore.Open(Db))
        {
            other.DeleteUser("p1_gone");
            Assert.Single(other.RekeyUsers([new UserRekey("p2_new", ["p1_old"])]));
        }
        lifecycle.CatchUp();
        log.Flush();
        Assert.Null(store.GetServed("r1"));                   // never written back under a forgotten id
        Assert.Equal("p2_new", store.GetServed("r2")!.User);  // nor under a retired one
        Assert.Equal("p1_stays", store.GetServed("r3")!.User);
    }

    [Fact]
    public async Task Policy_memory_and_experiment_tallies_follow_a_deletion_and_a_rename_made_elsewhere_before_the_next_answer()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (created, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments", new { id = "lifecycle-exp", variants = new object[] { new { name = "a", share = 0.5 }, new { name = "b", share = 0.5 } } }));
        Assert.Equal(HttpStatusCode.Created, created);
        try
        {
            var policies = app.App.Services.GetRequiredService<PolicyHost>();
            var experiments = app.App.Services.GetRequiredService<ExperimentService>();
            var histories = app.App.Services.GetRequiredService<HistoryCache>();
            var gone = await Engage("lifecycle-gone");
            var moved = await Engage("lifecycle-moved");
            app.App.Services.GetRequiredService<ServedLog>().Flush();
            const string renamed = "p9_lifecycle-moved-renamed-elsewhere";
            using (var other = SqliteStore.Open(shop.DbPath))
            {
                other.DeleteUser(gone);
                Assert.Equal(1, other.RenameUsers(new Dictionary<string, string> { [moved] = renamed }));
            }
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/health/live")).Status);  // any answer brings the server up to date first
            Assert.False(policies.Remembers(gone));
            Assert.False(experiments.Tracks(gone));
            Assert.False(histories.Holds(gone));
            Assert.False(policies.Remembers(moved));
            Assert.False(experiments.Tracks(moved));
            Assert.False(histories.Holds(moved));
            Assert.True(policies.Remembers(renamed));                                       // moved, not lost
            Assert.True(experiments.Tracks(renamed));
        }
        finally
        {
            await app.SendAsync(app.Write(HttpMethod.Post, "/api/experiments/lifecycle-exp/stop"));
        }

        // A user with events, recommendations (an exposure) and a click: held by every holder. Returns the pseudonym.
        async Task<string> Engage(string user)
        {
            await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", new { events = new[] { new { user, item = "i5", kind = "view" } } }));
            var (_, recs) = await app.GetAsync($"/api/users/{user}/recommendations?n=3");
            var recId = recs.GetProperty("recommendation_id").GetString()!;
            var item = recs.GetProperty("items")[0].GetProperty("item").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/feedback", new { recommendation_id = recId, item, kind = "click" }))).Status);
            var pseudonym = app.Pseudonym(user);
            Assert.True(app.App.Services.GetRequiredService<PolicyHost>().Remembers(pseudonym));
            Assert.True(app.App.Services.GetRequiredService<ExperimentService>().Tracks(pseudonym));
            Assert.True(app.App.Services.GetRequiredService<HistoryCache>().Holds(pseudonym));
            return pseudonym;
        }
    }
}
