using Merx.Core.Domain;

namespace Merx.Storage.Tests;

/// <summary>The dashboard's aggregates (issue #8): the event timeline per day and kind, and exploration per time bucket.</summary>
public abstract partial class StoreContractTests
{
    private const long Day0 = 1_700_006_400; // 2023-11-15 00:00:00 UTC

    [Fact]
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

    [Fact]
    public void ExplorationTimeline_counts_slots_and_clicks_on_explored_and_exploited_slots_per_bucket()
    {
        var store = NewStore();
        var t0 = DateTimeOffset.FromUnixTimeSeconds(Day0);
        ServedRecommendation List(string id, DateTimeOffset at, bool[] explored) =>
            new(id, "u1", at, "sasrec", "full", null, explored.Select((_, k) => $"i{k}").ToArray(), explored);
        store.RecordServed([
            List("r1", t0.AddSeconds(5), [false, false, true, false]),
            List("r2", t0.AddSeconds(50), [false, true]),
            List("r3", t0.AddMinutes(2), [false, false, false]),
            List("old", t0.AddHours(-1), [true]),
        ]);
        store.RecordFeedback([
            new("r1", "u1", "i2", EventKind.Click, t0), new("r1", "u1", "i0", EventKind.Click, t0), new("r1", "u1", "i1", EventKind.Impression, t0),
            new("r2", "u1", "i1", EventKind.Click, t0), new("r3", "u1", "i2", EventKind.Click, t0), new("r3", "u1", "i0", EventKind.Purchase, t0, 5),
            new("old", "u1", "i0", EventKind.Click, t0),
        ]);
        var buckets = store.ExplorationTimeline(t0, TimeSpan.FromMinutes(1));
        Assert.Equal([
            new ExplorationBucket(t0, Lists: 2, Slots: 6, ExploredSlots: 2, ExploredClicks: 2, ExploitedClicks: 1),
            new ExplorationBucket(t0.AddMinutes(2), Lists: 1, Slots: 3, ExploredSlots: 0, ExploredClicks: 0, ExploitedClicks: 1),
        ], buckets);
        Assert.Equal(2.0 / 6, buckets[0].ExplorationRate, 12);
        var all = store.ExplorationTimeline(DateTimeOffset.UnixEpoch, TimeSpan.FromDays(1));
        Assert.Equal([new ExplorationBucket(t0.AddDays(-1), 1, 1, 1, 1, 0), new ExplorationBucket(t0, 3, 9, 2, 2, 2)], all);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ExplorationTimeline(t0, TimeSpan.Zero));
        Assert.Empty(NewStore().ExplorationTimeline(DateTimeOffset.UnixEpoch, TimeSpan.FromHours(1)));
    }
}
