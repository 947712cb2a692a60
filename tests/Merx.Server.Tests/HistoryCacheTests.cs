using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Service.Serving;
using Merx.Service.Users;
using Merx.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Tests;

/// <summary>The in-memory recent-history cache against a real SQLite file: write-through, foreign writers, deletion, eviction.</summary>
public sealed class HistoryCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-history-cache-").FullName;
    private string Db => Path.Combine(_dir, "h.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static RawEvent View(string user, string item, long t) => new(user, item, EventKind.View, t);

    private static HistoryCache Cache(SqliteStore store, int users = 100, long refreshMs = 0) =>
        new(store, Options.Create(new MerxServerOptions { Db = "unused", HistoryCacheUsers = users, HistoryCacheRefreshMs = refreshMs }));

    private static string[] Items(HistoryCache cache, string user) => cache.Recent(user).Select(e => e.Item!).ToArray();

    [Fact]
    public void WritesThrough_AndAnswersLikeTheStore()
    {
        using var store = SqliteStore.Open(Db);
        store.AppendEvents([View("u1", "a", 1), View("u1", "b", 2)]);
        var cache = Cache(store);
        Assert.Equal(["b", "a"], Items(cache, "u1"));                 // loaded from the store, newest first
        cache.Append([View("u1", "c", 3), View("u2", "x", 3)]);
        Assert.Equal(["c", "b", "a"], Items(cache, "u1"));            // from memory, with the new event
        Assert.Equal(store.RecentEvents("u1", 10).Select(e => e.Item), Items(cache, "u1"));
        Assert.Equal(["x"], Items(cache, "u2"));
        var (hits, misses, _) = cache.Counters;
        Assert.True(hits >= 2 && misses == 2, $"hits {hits}, misses {misses}");
    }

    [Fact]
    public void KeepsOnlyTheLatestEvents()
    {
        using var store = SqliteStore.Open(Db);
        var cache = Cache(store);
        cache.Recent("u1");
        cache.Append(Enumerable.Range(0, RecommendationService.HistoryLimit + 30).Select(i => View("u1", $"i{i}", i)).ToArray());
        var recent = Items(cache, "u1");
        Assert.Equal(RecommendationService.HistoryLimit, recent.Length);
        Assert.Equal($"i{RecommendationService.HistoryLimit + 29}", recent[0]);
    }

    [Fact]
    public void SeesEventsWrittenByAnotherConnection()
    {
        using var store = SqliteStore.Open(Db);
        store.AppendEvents([View("u1", "a", 1)]);
        var cache = Cache(store, refreshMs: 0);
        Assert.Equal(["a"], Items(cache, "u1"));
        using (var other = SqliteStore.Open(Db)) other.AppendEvents([View("u1", "b", 2)]);  // e.g. 'merx import' into the live store
        Assert.Equal(["b", "a"], Items(cache, "u1"));
        Assert.Equal(1, cache.Counters.Drops);
        cache.Append([View("u1", "c", 3)]);                                                // our own writes drop nothing
        Assert.Equal(["c", "b", "a"], Items(cache, "u1"));
        Assert.Equal(1, cache.Counters.Drops);
    }

    [Fact]
    public void ForgetRemovesTheUser()
    {
        using var store = SqliteStore.Open(Db);
        store.AppendEvents([View("u1", "a", 1)]);
        var cache = Cache(store);
        Assert.Single(Items(cache, "u1"));
        store.DeleteUser("u1");
        cache.Forget(UserSet.Of("u1"));
        Assert.Empty(Items(cache, "u1"));
    }

    [Fact]
    public void StaysWithinItsCapacity_AndStillAnswersCorrectly()
    {
        using var store = SqliteStore.Open(Db);
        store.AppendEvents(Enumerable.Range(0, 50).Select(u => View($"u{u}", $"i{u}", u)).ToArray());
        var cache = Cache(store, users: 10);
        for (var round = 0; round < 3; round++)
            for (var u = 0; u < 50; u++) Assert.Equal([$"i{u}"], Items(cache, $"u{u}"));
        Assert.True(cache.Counters.Misses > 50);   // evicted users were read again
    }

    [Fact]
    public void Disabled_ReadsTheStoreEveryTime()
    {
        using var store = SqliteStore.Open(Db);
        var cache = Cache(store, users: 0);
        cache.Append([View("u1", "a", 1)]);
        Assert.Equal(["a"], Items(cache, "u1"));
        Assert.Equal((0L, 0L, 0L), cache.Counters);
    }
}
