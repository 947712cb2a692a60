using Merx.Core.Domain;
using Merx.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>
/// The request path's reads (a user's recent events, linked users) run on read connections beside the writing
/// one (issue #21): a read does not wait for a write that holds the store's lock, and it sees every acknowledged
/// write. With no read connections the same read waits: the test shows both.
/// </summary>
public sealed class SqliteReadConnectionTests : IDisposable
{
    private readonly SqliteBackend _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(4, true)]
    [InlineData(0, false)]
    public async Task A_read_does_not_wait_for_a_write_holding_the_lock(int readConnections, bool readsDuringWrite)
    {
        var path = _files.NewPath();
        using var store = SqliteStore.Open(path, new SqliteStoreOptions { ReadConnections = readConnections, BusyTimeout = TimeSpan.FromSeconds(60) });
        store.AppendEvents([new RawEvent("u1", "i1", EventKind.View, 1_700_000_000), new RawEvent("u1", "i2", EventKind.AddToCart, 1_700_000_001)]);
        store.LinkUsers("u1", "app-1");

        // Another process holds the file's write lock: the store's append waits for it while holding the store's lock.
        using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        other.Open();
        using (var begin = other.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE"; begin.ExecuteNonQuery(); }
        var append = Task.Run(() => store.AppendEvents([new RawEvent("u2", "i3", EventKind.View, 1_700_000_002)]));
        await Task.Delay(300); // the append is waiting on the file lock now (60 s busy timeout)

        var read = Task.Run(() => (Events: store.RecentEvents("u1", 10), Group: store.LinkedUsers("u1")));
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(readsDuringWrite ? 20 : 1.5)));
        Assert.Equal(readsDuringWrite, first == read);
        Assert.False(append.IsCompleted);

        using (var rollback = other.CreateCommand()) { rollback.CommandText = "ROLLBACK"; rollback.ExecuteNonQuery(); }
        await append.WaitAsync(TimeSpan.FromSeconds(30));
        var (events, group) = await read.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["i2", "i1"], events.Select(e => e.Item));
        Assert.Equal(["app-1", "u1"], group);
        Assert.Equal(["i3"], store.RecentEvents("u2", 10).Select(e => e.Item));
    }

    [Fact]
    public async Task Reads_beside_concurrent_appends_see_every_acknowledged_event()
    {
        using var store = SqliteStore.Open(_files.NewPath(), new SqliteStoreOptions { ReadConnections = 2 });
        const int writers = 3, batches = 60, readers = 6;
        var acknowledged = new long[writers]; // per writer: how many of its batches are acknowledged
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var readTasks = Enumerable.Range(0, readers).Select(r => Task.Run(() =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested || reads == 0)
            {
                var w = (r + reads++) % writers;
                var known = Interlocked.Read(ref acknowledged[w]);
                var seen = store.RecentEvents($"w{w}", 1000).Count;
                // Every batch acknowledged before the read started holds 5 events of this user.
                if (seen < known * 5) failures.Enqueue($"w{w}: {seen} events read after {known} batches were acknowledged");
                if (r % 2 == 0 && store.LinkedUsers($"w{w}") is var group && (group.Count != 1 || group[0] != $"w{w}")) failures.Enqueue($"w{w}: wrong link group");
            }
        })).ToArray();
        Parallel.For(0, writers, w =>
        {
            for (var b = 0; b < batches; b++)
            {
                store.AppendEvents(Enumerable.Range(0, 5).Select(i => new RawEvent($"w{w}", $"i{b}-{i}", EventKind.View, 1_700_000_000 + b)).ToArray());
                Interlocked.Increment(ref acknowledged[w]);
            }
        });
        stop.Cancel();
        await Task.WhenAll(readTasks);
        Assert.Empty(failures);
        for (var w = 0; w < writers; w++) Assert.Equal(batches * 5, store.RecentEvents($"w{w}", 1000).Count);
    }

    [Fact]
    public void Forgetting_a_user_rebuilds_and_checkpoints_while_read_connections_are_open()
    {
        var path = _files.NewPath();
        using var store = SqliteStore.Open(path);
        store.AppendEvents([new RawEvent("gone-user-7f3a", "i1", EventKind.View, 1_700_000_000), new RawEvent("kept", "i1", EventKind.View, 1_700_000_001)]);
        Assert.Single(store.RecentEvents("gone-user-7f3a", 10)); // opens a read connection, which stays open and idle
        store.DeleteUser("gone-user-7f3a");
        store.EraseFreedSpace(rebuild: true);
        Assert.Empty(store.RecentEvents("gone-user-7f3a", 10));
        Assert.Single(store.RecentEvents("kept", 10));
        Assert.Equal(0, new FileInfo(path + "-wal").Length);
    }
}
