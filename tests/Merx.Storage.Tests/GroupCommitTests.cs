using Merx.Core.Domain;
using Merx.Storage.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>
/// Group commit of <see cref="SqliteStore.AppendEvents"/> (issue #20): batches appended at the same time from
/// many threads share commits, yet each stays all or nothing on its own: a bad batch in a group fails only
/// its caller, and every acknowledged batch is stored whole under the sequence numbers it was given.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly SqliteBackend _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(Durability.Full)]
    [InlineData(Durability.Normal)]
    public void Concurrent_batches_are_each_all_or_nothing(Durability durability)
    {
        var path = _files.NewPath();
        using var store = SqliteStore.Open(path, new SqliteStoreOptions { Durability = durability });
        const int threads = 8, batches = 40, size = 25;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(ImportBatch Batch, int Thread, int Index)>();
        var refused = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (var b = 0; b < batches; b++)
            {
                // Every fifth batch of thread 3 has a bad event in the middle: it must fail alone.
                var bad = t == 3 && b % 5 == 0;
                var events = Enumerable.Range(0, size).Select(i => new RawEvent($"t{t}-u{i % 7}", bad && i == size / 2 ? "" : $"i{b}-{i}", EventKind.View, 1_700_000_000 + b)).ToArray();
                try { acknowledged.Add((store.AppendEvents(events), t, b)); }
                catch (ArgumentException) { Assert.True(bad); Interlocked.Increment(ref refused); }
            }
        });
        Assert.Equal(batches / 5, refused);
        Assert.Equal(threads * batches - batches / 5, acknowledged.Count);
        Assert.Equal((threads * batches - batches / 5) * (long)size, Convert.ToInt64(StoreFile.Sql(path, "SELECT count(*) FROM events")));
        // Each acknowledged batch holds exactly its own events, in order, under its sequence range.
        var ranges = acknowledged.Select(a => (a.Batch.FirstSequence, a.Batch.LastSequence)).OrderBy(r => r.FirstSequence).ToArray();
        for (var i = 1; i < ranges.Length; i++) Assert.Equal(ranges[i - 1].LastSequence + 1, ranges[i].FirstSequence);
        foreach (var (batch, t, b) in acknowledged)
        {
            Assert.Equal(size, batch.Events);
            Assert.Equal($"i{b}-0", StoreFile.Sql(path, $"SELECT i.ext_id FROM events e JOIN items i ON i.id = e.item_id WHERE e.seq = {batch.FirstSequence}"));
            Assert.Equal($"t{t}-u{(size - 1) % 7}", StoreFile.Sql(path, $"SELECT u.ext_id FROM events e JOIN users u ON u.id = e.user_id WHERE e.seq = {batch.LastSequence}"));
        }
        // The per-user chains stayed whole: every user's newest-first history has all its events.
        Assert.Equal((batches - batches / 5) * 4, store.RecentEvents("t3-u0", 10_000).Count);
        Assert.Equal(batches * 4, store.RecentEvents("t5-u0", 10_000).Count);
        Assert.Equal("ok", StoreFile.Sql(path, "PRAGMA integrity_check"));
    }

    [Fact]
    public void Durability_names_parse()
    {
        Assert.Equal(Durability.Full, DurabilityNames.Parse("FULL"));
        Assert.Equal(Durability.Normal, DurabilityNames.Parse(" normal "));
        Assert.Contains("unknown durability 'off'", Assert.Throws<ArgumentException>(() => DurabilityNames.Parse("off")).Message);
    }
}
