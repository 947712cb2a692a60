using Merx.Core.Domain;
using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Service;
using Merx.Service.Experiments;
using Merx.Service.Serving;
using Merx.Storage;
using Merx.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Merx.Server.Tests;

/// <summary>
/// Two replicas over one PostgreSQL store (issue 18) share what a single process keeps in memory: the bandit
/// policy's learning (feedback received by either replica, on a list served by either), the experiment tallies
/// and definitions, the rate-limit counters, and catalog changes. Skipped with a message where
/// <c>MERX_TEST_POSTGRES</c> names no server.
/// </summary>
public sealed class PostgresSharedStateTests : IDisposable
{
    private readonly string _schema = "s_" + Guid.NewGuid().ToString("N")[..12];
    private readonly PostgresLocation? _location;
    private readonly List<IDisposable> _open = [];

    public PostgresSharedStateTests() => _location = PostgresTestServer.Location();

    public void Dispose()
    {
        foreach (var d in _open) d.Dispose();
        if (_location is not null) PostgresTestServer.DropSchema(_location, _schema);
    }

    // Wrapped for tracing as the server opens it: the proxy must still share state.
    private IMerxStore Replica()
    {
        var store = Merx.Storage.Tracing.TracedStore.Wrap(PostgresStore.Open(_location!, new PostgresStoreOptions { Schema = _schema, MaxPoolSize = 4 }));
        _open.Add(store);
        return store;
    }

    private static PolicyHost Policies(IMerxStore store) =>
        new(store, Options.Create(new MerxServerOptions { Db = "unused", Policy = "thompson" }), NullLogger<PolicyHost>.Instance);

    private static readonly CatalogIndex Catalog = new(["i0", "i1", "i2"], [new Item { Id = "i0" }, new Item { Id = "i1" }, new Item { Id = "i2" }]);

    private static readonly BanditRequest Request = new() { HistoryLength = 7, RecentImpressions = 1.5, KnownCategories = new HashSet<int> { 3 } };

    private static readonly ExplorationTrace Trace = new(Request, [new SlatePick(0, 0, 0.5f, false, 3), new SlatePick(2, 4, 0.4f, true, 5)], 20);

    [SkippableFact]
    public void Feedback_at_either_replica_on_a_list_served_by_one_teaches_both_policies_the_same_statistics()
    {
        var (a, b) = (Policies(Replica()), Policies(Replica()));
        a.Stage(null); b.Stage(null);
        a.Remember("r1", Trace, Catalog);
        var at = DateTimeOffset.UtcNow;
        a.Learn([new FeedbackRecord("r1", "u1", "i0", EventKind.Click, at)]);      // served here: logged with its update
        b.Learn([new FeedbackRecord("r1", "u9", "i2", EventKind.Impression, at)]); // served by A: B cannot work out the update
        Assert.Equal(1 / 51.0 * 2, ((BanditPolicy)b.Policy!).GlobalCtr, 12);       // B applied A's click: (1 + 1) / (1 + 50)
        a.Fold();                                                                  // A resolves B's impression and logs the update
        b.Fold();

        // Reference: one policy taught both entries in log order, in one process.
        var reference = new ThompsonPolicy();
        reference.Update(new BanditFeedback { Request = Request, Item = 0, ExploitRank = 0, Category = 3, Slot = 0, Explored = false, Clicked = true, SlateSize = 2 });
        reference.Update(new BanditFeedback { Request = Request, Item = 2, ExploitRank = 4, Category = 5, Slot = 1, Explored = true, Clicked = false, SlateSize = 2 });
        Assert.Equal(2 / 52.0, ((BanditPolicy)a.Policy!).GlobalCtr, 12);
        Assert.Equal(reference.SaveState(), a.Policy!.SaveState());
        Assert.Equal(reference.SaveState(), b.Policy!.SaveState());
        Assert.True(a.Remembers("u9") && b.Remembers("u1"));                       // each counts the other's feedback in the user's recent rates
        Assert.Equal(3, a.AppliedLogPosition);                                     // A's click, B's raw impression, A's resolution
        Assert.Equal(3, b.AppliedLogPosition);

        // A replica started later restores the saved state with its log position and applies only what followed.
        a.Save();
        b.Learn([new FeedbackRecord("r1", "u2", "i0", EventKind.Impression, at)]);
        var c = Policies(Replica());
        c.Stage(null);
        Assert.Equal(3, c.AppliedLogPosition);
        a.Fold();                                                                  // A resolves the new impression (row 5)
        c.Fold();
        Assert.Equal(5, c.AppliedLogPosition);
        Assert.Equal(a.Policy!.SaveState(), c.Policy!.SaveState());
        Assert.Equal(2 / 53.0, ((BanditPolicy)c.Policy!).GlobalCtr, 12);
    }

    [SkippableFact]
    public void A_policy_state_migrated_from_SQLite_is_restored_and_the_log_applied_on_top()
    {
        var store = Replica();
        var single = new ThompsonPolicy();
        single.Update(new BanditFeedback { Request = Request, Item = 1, Clicked = true, SlateSize = 2 });
        store.PutState("policy:thompson", single.SaveState());                   // what merx migrate copies from a SQLite shop
        var a = Policies(store);
        a.Stage(null);
        Assert.Equal(single.SaveState(), a.Policy!.SaveState());
        a.Remember("r1", Trace, Catalog);
        a.Learn([new FeedbackRecord("r1", "u1", "i0", EventKind.Impression, DateTimeOffset.UtcNow)]);
        Assert.Equal(2 / 52.0, ((BanditPolicy)a.Policy!).GlobalCtr, 12);          // the migrated click, then the logged impression
    }

    [SkippableFact]
    public void A_deleted_users_rows_leave_the_shared_bandit_log()
    {
        var store = Replica();
        var a = Policies(store);
        a.Stage(null);
        a.Remember("r1", Trace, Catalog);
        a.Learn([new FeedbackRecord("r1", "gone", "i0", EventKind.Click, DateTimeOffset.UtcNow), new FeedbackRecord("r1", "kept", "i2", EventKind.Click, DateTimeOffset.UtcNow)]);
        store.DeleteUser("gone");
        var rows = ((ISharedServingState)store).BanditLogAfter("thompson", 0, 10);
        Assert.Equal(["kept"], rows.Select(r => r.User).ToArray());
    }

    [SkippableFact]
    public void Experiment_started_on_one_replica_runs_on_the_other_and_both_report_every_replicas_tallies()
    {
        var (sa, sb) = (Replica(), Replica());
        var (a, b) = (new ExperimentService(sa, sa), new ExperimentService(sb, sb));
        a.Create("e1", [new VariantConfig("control", 0.5), new VariantConfig("treat", 0.5)]);
        Thread.Sleep(ExperimentService.DefinitionsRefresh + TimeSpan.FromMilliseconds(100));
        Assert.Equal("e1", b.Running?.Id);                                         // B took A's new experiment
        var at = DateTimeOffset.UtcNow;
        var users = Enumerable.Range(0, 8).Select(i => $"u{i}").ToArray();
        for (var i = 0; i < users.Length; i++)
        {
            var (replica, service) = i % 2 == 0 ? (sa, a) : (sb, b);
            var tag = service.Assign(users[i])!.Value.Tag;
            replica.RecordServed([new ServedRecommendation($"r{i}", users[i], at, null, "full", tag, ["x"], [false])]);
            if (i < 3) (i % 2 == 0 ? sb : sa).RecordFeedback([new FeedbackRecord($"r{i}", users[i], "x", EventKind.Click, at)]); // feedback at the other replica
        }
        var expected = users.Select((u, i) => (Variant: a.Assign(u)!.Value.Tag.Split(':')[1], Clicked: i < 3)).ToArray();
        foreach (var service in new[] { a, b })
        {
            var tallies = service.Report("e1")!.Value.Report.Snapshot.Variants;
            foreach (var t in tallies)
            {
                Assert.Equal(expected.Count(e => e.Variant == t.Name), t.Users);
                Assert.Equal(expected.Count(e => e.Variant == t.Name && e.Clicked), t.Clicks);
            }
            Assert.Equal(8, tallies.Sum(t => t.Users));
        }
        Assert.True(b.Stop("e1"));
        Thread.Sleep(ExperimentService.DefinitionsRefresh + TimeSpan.FromMilliseconds(100));
        Assert.Null(a.Running);                                                    // stopped on B: stopped on A
    }

    [SkippableFact]
    public async Task Rate_limit_counts_are_summed_over_replicas_per_client_and_second()
    {
        var (a, b) = ((ISharedServingState)Replica(), (ISharedServingState)Replica());
        Assert.Equal(1, await a.CountRequestAsync("key:1", 1000));
        Assert.Equal(2, await b.CountRequestAsync("key:1", 1000));
        Assert.Equal(3, await a.CountRequestAsync("key:1", 1000));
        Assert.Equal(1, await b.CountRequestAsync("key:2", 1000));                 // another client
        Assert.Equal(1, await b.CountRequestAsync("key:1", 1001));                 // the next second
    }

    [SkippableFact]
    public async Task Two_servers_over_one_database_answer_429_once_their_clients_requests_together_pass_the_limit()
    {
        var database = "merx_rl_" + Guid.NewGuid().ToString("N")[..10];
        var url = $"postgres://{_location!.User}@{_location.Host}:{_location.Port}/{database}";
        try
        {
            await using (var a = await MerxTestApp.StartAsync(url, o => o.RateLimitPerSecond = 3))
            await using (var b = await MerxTestApp.StartAsync(url, o => o.RateLimitPerSecond = 3))
            {
                for (var attempt = 0; ; attempt++)
                {
                    // Eight requests inside one second, alternating between the servers: per process, 3 + 3 would pass.
                    while (DateTime.UtcNow.Millisecond > 100) await Task.Delay(5);
                    var second = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                    var codes = new List<System.Net.HttpStatusCode>();
                    for (var i = 0; i < 8; i++)
                    {
                        var app = i % 2 == 0 ? a : b;
                        codes.Add((await app.SendAsync(app.Write(HttpMethod.Get, "/api/experiments"))).Status);
                    }
                    if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() != second && attempt < 5) { await Task.Delay(1100); continue; }
                    Assert.Equal(3, codes.Count(c => c == System.Net.HttpStatusCode.OK));
                    Assert.Equal(5, codes.Count(c => c == System.Net.HttpStatusCode.TooManyRequests));
                    break;
                }
                Assert.Equal(System.Net.HttpStatusCode.OK, (await a.GetAsync("/health/live")).Status); // probes are not counted
            }
        }
        finally { PostgresTestServer.DropDatabase(_location, database); }
    }

    [SkippableFact]
    public async Task An_item_upserted_through_one_replica_reaches_the_other_replicas_serving_snapshot()
    {
        var (sa, sb) = (Replica(), Replica());
        sa.UpsertItems([new Item { Id = "old", Title = "old" }]);
        var options = Options.Create(new MerxServerOptions { Db = "unused", Policy = "discovery", ModelPollInterval = TimeSpan.FromMinutes(10) });
        var host = new ModelHost(sb, sb, new PolicyHost(sb, options, NullLogger<PolicyHost>.Instance), options, NullLogger<ModelHost>.Instance);
        await host.StartAsync(CancellationToken.None);
        try
        {
            await Until(() => host.Current is not null);
            Assert.Equal(["old"], host.Current!.Catalog.Ids.ToArray());
            sa.UpsertItems([new Item { Id = "new", Title = "new" }]);              // at replica A
            await Until(() => host.Current!.Catalog.Count == 2);                   // the poll is 10 min away: only the announcement can do it
            Assert.Equal(["old", "new"], host.Current!.Catalog.Ids.ToArray());
            Assert.True(sa.SetInStock("new", false));
            await Until(() => host.Current!.Catalog.Item(1)?.InStock == false);
        }
        finally { await host.StopAsync(CancellationToken.None); }
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(50);
        }
    }
}
