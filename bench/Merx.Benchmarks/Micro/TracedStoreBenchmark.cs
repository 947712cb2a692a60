using BenchmarkDotNet.Attributes;
using Merx.Core.Domain;
using Merx.Storage;
using Merx.Storage.Sqlite;
using Merx.Storage.Tracing;

namespace Merx.Benchmarks.Micro;

/// <summary>
/// What the tracing proxy (<see cref="TracedStore"/>, a DispatchProxy: one reflective invoke per store call) adds to
/// a store call on the request path, with no trace listener (the default): a user's 50 latest events read from a
/// SQLite store of 2,000 users × 50 events, straight and through the proxy. One thread.
/// </summary>
[MemoryDiagnoser]
public class TracedStoreBenchmark
{
    private string _dir = "";
    private SqliteStore _store = null!;
    private IMerxStore _traced = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("merx-traced-bench-").FullName;
        _store = SqliteStore.Open(Path.Combine(_dir, "s.db"));
        var events = Enumerable.Range(0, 2_000).SelectMany(u => Enumerable.Range(0, 50).Select(k => new RawEvent("u" + u, "i" + (u * 7 + k) % 5_000, EventKind.View, 1_700_000_000 + k))).ToArray();
        _store.AppendEvents(events);
        _traced = TracedStore.Wrap(_store);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string NextUser() => "u" + (_next = (_next + 1) % 2_000);

    [Benchmark(Baseline = true, Description = "RecentEvents(user, 50), straight")]
    public int Straight() => _store.RecentEvents(NextUser(), 50).Count;

    [Benchmark(Description = "RecentEvents(user, 50), through TracedStore")]
    public int Traced() => _traced.RecentEvents(NextUser(), 50).Count;

    [Benchmark(Description = "NextEventSequence(), straight")]
    public long SequenceStraight() => _store.NextEventSequence();

    [Benchmark(Description = "NextEventSequence(), through TracedStore")]
    public long SequenceTraced() => _traced.NextEventSequence();
}
