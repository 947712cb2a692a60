using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The events role (<see cref="IEventStore"/>): appends (atomic, streamed, validated, in arrival
/// order), recent events and users, the data set and counts loaded back, the timeline and the import
/// log, and what survives reopening. Uses the catalog, users and model registry roles only to set up
/// and to check what reopening keeps (a data set loads the catalog and profiles too).
/// </summary>
public abstract class EventStoreContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void AppendThenLoad_RoundTripsEveryEventField()
    {
        var store = NewStore();
        var events = Events(200, seed: 1);
        store.AppendEvents(events);
        AssertSameDataset(Reference([], [], events), store.LoadDataset());
        var u0 = events.Where(e => e.User == "u0").Reverse().ToList();
        Assert.Equal(u0, store.RecentEvents("u0", 1000));
    }

    [SkippableFact]
    public void Append_ReportsCountsAndSequencesInArrivalOrder()
    {
        var store = NewStore();
        var a = store.AppendEvents([new("u1", "i1", EventKind.View, 5), new("u2", "i1", EventKind.Click, 4), new("u1", "i2", EventKind.Purchase, 3, 2f)]);
        Assert.Equal(new ImportBatch(3, 2, 2, 1, 3), a);
        var b = store.AppendEvents([new("u2", "i3", EventKind.View, 2), new("u3", null, EventKind.Search, 1, Query: "red shoes")]);
        Assert.Equal(new ImportBatch(2, 1, 1, 4, 5), b);
        Assert.Equal(new ImportBatch(0, 0, 0, 0, 0), store.AppendEvents([]));
        var d = store.LoadDataset();
        Assert.Equal([5L, 4, 3, 2, 1], d.Events.Timestamp);
        Assert.Equal(["u1", "u2", "u3"], d.Users.Ids);
    }

    [SkippableFact]
    public void Append_ThrowingEnumerable_WritesNothingAndPropagates()
    {
        var store = NewStore();
        var first = Events(50, seed: 2);
        store.AppendEvents(first);
        var strict = new FormatException("line 7: unknown event kind 'zap'");
        var failing = ThenThrow(Events(30, seed: 3, userPrefix: "new-u", itemPrefix: "new-i"), strict);
        var thrown = Assert.Throws<FormatException>(() => store.AppendEvents(failing));
        Assert.Same(strict, thrown);
        AssertStatsMatch(Reference([], [], first), store.GetStats());
        AssertSameDataset(Reference([], [], first), store.LoadDataset());

        var second = Events(30, seed: 3, userPrefix: "new-u", itemPrefix: "new-i");
        var batch = store.AppendEvents(second);
        Assert.Equal(first.Count + 1, batch.FirstSequence);
        Assert.Equal(second.Select(e => e.User).Distinct().Count(), batch.NewUsers);
        AssertSameDataset(Reference([], [], first.Concat(second)), store.LoadDataset());
    }

    [SkippableFact]
    public void Append_ThrowingEnumerableOnEmptyStore_LeavesAUsableStore()
    {
        var store = NewStore();
        Assert.Throws<InvalidOperationException>(() => store.AppendEvents(ThenThrow(Events(20, seed: 4), new InvalidOperationException("stop"))));
        Assert.Equal(0, store.GetStats().Events);
        var events = Events(20, seed: 4);
        store.AppendEvents(events);
        AssertSameDataset(Reference([], [], events), store.LoadDataset());
        Assert.Equal(events.Where(e => e.User == "u3").Reverse().Take(2), store.RecentEvents("u3", 2));
    }

    public static TheoryData<string, RawEvent> InvalidEvents => new()
    {
        { "needs an item", new RawEvent("u9", null, EventKind.View, 1) },
        { "user id is missing", new RawEvent("", "i1", EventKind.View, 1) },
        { "not finite", new RawEvent("u9", "i1", EventKind.Rating, 1, float.NaN) },
        { "unknown event kind", new RawEvent("u9", "i1", (EventKind)42, 1) },
        { "item id is empty", new RawEvent("u9", "", EventKind.Click, 1) },
    };

    [SkippableTheory]
    [MemberData(nameof(InvalidEvents))]
    public void Append_InvalidEvent_IsRejectedWithItsPositionAndNothingIsWritten(string reason, RawEvent bad)
    {
        var store = NewStore();
        var good = Events(10, seed: 5);
        store.AppendEvents(good);
        var batch = Events(5, seed: 6, userPrefix: "v").Take(2).Append(bad).Concat(Events(3, seed: 7));
        var e = Assert.Throws<ArgumentException>(() => store.AppendEvents(batch));
        Assert.Contains("event #2", e.Message);
        Assert.Contains(reason, e.Message);
        AssertStatsMatch(Reference([], [], good), store.GetStats());
        Assert.Empty(store.RecentEvents("v0", 10).Concat(store.RecentEvents("u9", 10)));
    }

    [SkippableFact]
    public void Append_EnumeratesTheInputExactlyOnce()
    {
        var store = NewStore();
        var source = new CountingEnumerable(Events(100, seed: 8));
        Assert.Equal(100, store.AppendEvents(source).Events);
        Assert.Equal(1, source.Enumerations);
    }

    [SkippableFact]
    public void RecentEvents_AreNewestFirstAndLimited()
    {
        var store = NewStore();
        store.AppendEvents([new("a", "i1", EventKind.View, 30), new("b", "i2", EventKind.View, 10), new("a", "i2", EventKind.AddToCart, 20)]);
        store.AppendEvents([new("a", "i3", EventKind.Purchase, 10, 1.5f, "s1")]);
        Assert.Equal([new("a", "i3", EventKind.Purchase, 10, 1.5f, "s1"), new RawEvent("a", "i2", EventKind.AddToCart, 20)], store.RecentEvents("a", 2));
        Assert.Equal(3, store.RecentEvents("a", 10).Count);
        Assert.Empty(store.RecentEvents("a", 0));
        Assert.Empty(store.RecentEvents("nobody", 5));
    }

    /// <summary>
    /// A user's events across many months (PostgreSQL's monthly partitions), some arriving late with an older
    /// time and some after another user's deletion, all come back in arrival order.
    /// </summary>
    [SkippableFact]
    public void RecentEvents_FindEveryMonthInArrivalOrder_LateEventsIncluded()
    {
        var store = NewStore();
        const long month = 31 * 86400;
        RawEvent[] first = [.. Enumerable.Range(0, 3).Select(k => new RawEvent("a", $"i{k}", EventKind.View, Day0 + k * month))];
        store.AppendEvents(first);
        var late = new RawEvent("a", "i9", EventKind.Purchase, Day0 - 14 * month, 2f);
        store.AppendEvents([new RawEvent("b", "i1", EventKind.View, Day0 + 20 * month), late]);
        store.DeleteUser("b");
        var later = new RawEvent("a", "i8", EventKind.Click, Day0 + 9 * month);
        store.AppendEvents([later, new RawEvent("c", "i1", EventKind.View, Day0)]);
        Assert.Equal([later, late, first[2], first[1], first[0]], store.RecentEvents("a", 10));
        Assert.Equal([later, late], store.RecentEvents("a", 2));
        Assert.Equal([new RawEvent("c", "i1", EventKind.View, Day0)], store.RecentEvents("c", 10));
        Assert.Empty(store.RecentEvents("b", 10));
    }

    [SkippableFact]
    public void RecentUsers_orders_by_activity()
    {
        var store = NewStore();
        store.UpsertItems([new Item { Id = "c1", Title = "Catalogued" }]);
        store.AppendEvents([new("u1", "e1", EventKind.View, 1), new("u2", "c1", EventKind.View, 2), new("u1", "e2", EventKind.View, 3)]);
        Assert.Equal(["u1", "u2"], store.RecentUsers(10));
        Assert.Equal(["u1"], store.RecentUsers(1));
    }

    [SkippableFact]
    public void Stats_MatchADatasetBuiltFromTheSameInput()
    {
        var store = NewStore();
        var catalog = Catalog(15);
        var profiles = Profiles("u1", "p-only");
        var events = Events(300, seed: 9);
        store.UpsertItems(catalog);
        store.UpsertUsers(profiles);
        store.AppendEvents(events);
        var reference = Reference(catalog, profiles, events);
        AssertStatsMatch(reference, store.GetStats());
        AssertSameDataset(reference, store.LoadDataset());
        Assert.Equal(events.Count(e => e.Kind == EventKind.Purchase), store.GetStats()[EventKind.Purchase]);
    }

    [SkippableFact]
    public void EmptySessionAndQuery_StayEmptyNotMissing()
    {
        var store = NewStore();
        RawEvent[] events = [new("u", "i", EventKind.View, 1, Session: ""), new("u", null, EventKind.Search, 2, Query: "")];
        store.AppendEvents(events);
        Assert.Equal(events.Reverse(), store.RecentEvents("u", 5));
        AssertSameDataset(Reference([], [], events), store.LoadDataset());
    }

    [SkippableFact]
    public void UnicodeIds_RoundTrip()
    {
        var store = NewStore();
        RawEvent[] events =
        [
            new("ユーザー🙂", "商品-ü", EventKind.View, 1, Session: "séance-Ω"),
            new("café", "商品-ü", EventKind.Favorite, 2),
            new("ユーザー🙂", null, EventKind.Search, 3, Query: "rouge à lèvres 💄"),
        ];
        store.UpsertItems([new Item { Id = "Ελληνικά", Title = "標題", Tags = ["ü", "🙂"] }]);
        store.AppendEvents(events);
        Assert.Equal(events.Where(e => e.User == "ユーザー🙂").Reverse(), store.RecentEvents("ユーザー🙂", 5));
        Assert.Equal(["Ελληνικά", "商品-ü"], store.LoadDataset().Items.Ids);
        Assert.Equal(["ü", "🙂"], store.GetItem("Ελληνικά")!.Tags);
        Assert.Null(store.GetItem("ελληνικά"));
    }

    [SkippableFact]
    public void Reopen_KeepsDataAndContinuesTheSequence()
    {
        var store = NewStore();
        var catalog = Catalog(6);
        var profiles = Profiles("u2");
        var events = Events(120, seed: 10);
        store.UpsertItems(catalog);
        store.UpsertUsers(profiles);
        store.AppendEvents(events);
        var version = store.PublishModel("pop", [1, 2, 3], "{\"ndcg@10\":0.1}");
        var schema = store.SchemaVersion;

        store = Reopen(store);
        Assert.Equal(schema, store.SchemaVersion);
        AssertSameDataset(Reference(catalog, profiles, events), store.LoadDataset());
        Assert.Equal(version, store.LatestModel()!.Version);
        var more = Events(10, seed: 11);
        var batch = store.AppendEvents(more);
        Assert.Equal(new ImportBatch(10, 0, 0, events.Count + 1, events.Count + 10), batch);
        AssertStatsMatch(Reference(catalog, profiles, events.Concat(more)), store.GetStats());
    }

    [SkippableFact]
    public void SchemaVersion_IsPositive()
    {
        Assert.True(NewStore().SchemaVersion >= 1);
    }

    [SkippableFact]
    public void EventTimeline_counts_events_per_utc_day_and_kind_from_a_given_day()
    {
        var store = NewStore();
        store.AppendEvents([
            new("u1", "i1", EventKind.View, Day0 + 10), new("u1", "i1", EventKind.View, Day0 + 86_399), new("u2", "i2", EventKind.Purchase, Day0 + 3600),
            new("u2", "i2", EventKind.View, Day0 + 86_400), new("u3", null, EventKind.Search, Day0 + 2 * 86_400 + 5, Query: "red"),
            new("u3", "i3", EventKind.View, Day0 - 1),
        ]);
        var d = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(Day0).UtcDateTime);
        Assert.Equal(new DateOnly(2023, 11, 15), d);
        Assert.Equal([
            new DailyEventCount(d.AddDays(-1), EventKind.View, 1),
            new DailyEventCount(d, EventKind.View, 2), new DailyEventCount(d, EventKind.Purchase, 1),
            new DailyEventCount(d.AddDays(1), EventKind.View, 1), new DailyEventCount(d.AddDays(2), EventKind.Search, 1),
        ], store.EventTimeline(DateOnly.MinValue));
        Assert.Equal([new DailyEventCount(d.AddDays(1), EventKind.View, 1), new DailyEventCount(d.AddDays(2), EventKind.Search, 1)], store.EventTimeline(d.AddDays(1)));
        Assert.Empty(NewStore().EventTimeline(DateOnly.MinValue));
    }

    [SkippableFact]
    public void ImportLog_RecordsRunsInOrder()
    {
        var store = NewStore();
        store.RecordImport("data/a.csv", "csv", "1000 accepted, 2 skipped (bad kind)", 1000, 2);
        store.RecordImport("data/b.jsonl", "jsonl", "ok", 5, 0);
        var log = store.ListImports();
        Assert.Equal(2, log.Count);
        Assert.Equal(("data/a.csv", "csv", "1000 accepted, 2 skipped (bad kind)", 1000L, 2L), (log[0].Source, log[0].Format, log[0].Summary, log[0].Accepted, log[0].Skipped));
        Assert.Equal("jsonl", log[1].Format);
        Assert.True(log[0].Id < log[1].Id);
    }

    private sealed class CountingEnumerable(IEnumerable<RawEvent> inner) : IEnumerable<RawEvent>
    {
        public int Enumerations { get; private set; }

        public IEnumerator<RawEvent> GetEnumerator()
        {
            Enumerations++;
            return inner.GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
