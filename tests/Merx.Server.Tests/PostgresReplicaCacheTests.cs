using Merx.Core.Domain;
using Merx.Service;
using Merx.Service.Serving;
using Merx.Service.Users;
using Merx.Storage;
using Merx.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Merx.Server.Tests;

/// <summary>
/// Two replicas over one PostgreSQL store (issue 18), each with its own history cache: an event accepted by
/// replica A is in replica B's very next read (read-your-writes across replicas), and B drops only the users
/// A's append named; a link made at A (issue 22) reaches B's groups of linked ids. Skipped with a message where <c>MERX_TEST_POSTGRES</c> names no server.
/// </summary>
public sealed class PostgresReplicaCacheTests : IDisposable
{
    private readonly string _schema = "r_" + Guid.NewGuid().ToString("N")[..12];
    private readonly PostgresLocation? _location;

    public PostgresReplicaCacheTests() => _location = PostgresTestServer.Location();

    public void Dispose()
    {
        if (_location is not null) PostgresTestServer.DropSchema(_location, _schema);
    }

    // Wrapped for tracing as the server opens it: the proxy must still announce other replicas' changes.
    private IMerxStore Replica() => Merx.Storage.Tracing.TracedStore.Wrap(PostgresStore.Open(_location!, new PostgresStoreOptions { Schema = _schema, MaxPoolSize = 4 }));

    private static HistoryCache Cache(IEventStore store) =>
        new(store, Options.Create(new MerxServerOptions { Db = "unused", HistoryCacheUsers = 100, HistoryCacheRefreshMs = 60_000 }));

    private static string[] Items(HistoryCache cache, string user) => cache.Recent(user).Select(e => e.Item!).ToArray();

    private static RawEvent View(string user, string item, long t) => new(user, item, EventKind.View, t);

    [SkippableFact]
    public void An_event_accepted_by_one_replica_is_in_the_next_read_of_another_which_drops_only_that_user()
    {
        using var a = Replica();
        using var b = Replica();
        a.AppendEvents([View("u1", "a", 1), View("u2", "x", 1)]);
        var (cacheA, cacheB) = (Cache(a), Cache(b));
        Assert.Equal(["a"], Items(cacheB, "u1"));
        Assert.Equal(["x"], Items(cacheB, "u2"));

        for (var k = 0; k < 20; k++)
        {
            cacheA.Append([View("u1", $"b{k}", 2 + k)]);
            Assert.Equal($"b{k}", Items(cacheB, "u1")[0]);   // B's very next read, no waiting in the test
        }
        Assert.True(cacheB.Holds("u2"));                      // not named by A's appends: still cached
        Assert.Equal(0, cacheB.Counters.Drops);               // no whole-cache drop

        // An append naming more users than an announcement lists drops B's whole cache, and B still reads it.
        a.AppendEvents(Enumerable.Range(0, 400).Select(i => View($"bulk{i}", "y", 50)).Append(View("u2", "z", 51)).ToArray());
        Assert.Equal(["z", "x"], Items(cacheB, "u2"));
        Assert.Equal(1, cacheB.Counters.Drops);
    }

    [SkippableFact]
    public void A_link_made_at_one_replica_reaches_the_other_replicas_next_answer_and_its_next_model()
    {
        using var a = Replica();
        using var b = Replica();
        a.AppendEvents([View("web", "i1", 1), View("app", "i2", 2)]);
        var lifecycleB = new UserLifecycle(b);
        var linksB = lifecycleB.Register(new UserLinks(b));
        Assert.Equal(["web"], linksB.Group("web"));            // remembered at B before the link

        Assert.Equal(["app", "web"], new UserLinks(a).Link("web", "app"));
        // B learns of it through the change feed's announcement (milliseconds; the wait is bounded, never a sleep of a fixed length).
        var deadline = Environment.TickCount64 + 10_000;
        IReadOnlyList<string> group;
        while (true)
        {
            lifecycleB.CatchUp();
            group = linksB.Group("web");
            if (group.Count > 1 || Environment.TickCount64 > deadline) break;
            Thread.Sleep(5);
        }
        Assert.Equal(["app", "web"], group);
        var d = b.LoadDataset();
        Assert.Equal(["web"], d.Users.Ids);                     // one user in the next model
        Assert.Equal(2, d.Sequences.ItemsOf(0).Length);
    }
}
