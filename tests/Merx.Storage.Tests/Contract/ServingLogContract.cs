using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The serving log and feedback role (<see cref="IServingLog"/>, issues #5 and #8): served lists
/// round-trip, feedback is counted per variant, exploration is bucketed over time, and an
/// experiment's exposures and feedback are listed back in order.
/// </summary>
public abstract class ServingLogContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void Served_recommendations_round_trip_and_feedback_is_counted_per_variant()
    {
        var store = NewStore();
        store.RecordServed([Served("r1", "u1", "A"), Served("r2", "u2", "B"), Served("r3", "u1")]);
        Assert.Equal(Served("r2", "u2", "B") with { }, store.GetServed("r2"), new ServedComparer());
        Assert.Null(store.GetServed("nope"));
        store.RecordFeedback([
            new("r1", "u1", "i1", EventKind.Impression, DateTimeOffset.UnixEpoch), new("r1", "u1", "i1", EventKind.Click, DateTimeOffset.UnixEpoch),
            new("r2", "u2", "i2", EventKind.Impression, DateTimeOffset.UnixEpoch), new("r3", "u1", "i3", EventKind.Purchase, DateTimeOffset.UnixEpoch, 9.5),
        ]);
        var counts = store.FeedbackCounts();
        Assert.Equal(1, counts[("A", EventKind.Click)]);
        Assert.Equal(1, counts[("B", EventKind.Impression)]);
        Assert.Equal(1, counts[("", EventKind.Purchase)]);
        Assert.False(counts.ContainsKey(("B", EventKind.Click)));
        Assert.Throws<ArgumentException>(() => store.RecordServed([Served("r9", "u1") with { Explored = [true] }]));
        Assert.Null(store.GetServed("r9"));
    }

    [SkippableFact]
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

    [SkippableFact]
    public void ExperimentLog_lists_exposures_then_feedback_of_the_variants_with_a_prefix_oldest_first()
    {
        var store = NewStore();
        var t0 = DateTimeOffset.FromUnixTimeSeconds(Day0);
        store.RecordServed([
            Served("r1", "u1", "exp1:A") with { At = t0 }, Served("r2", "u2", "exp1:B") with { At = t0.AddSeconds(10) },
            Served("r3", "u3", "exp2:A") with { At = t0.AddSeconds(5) }, Served("r4", "u4") with { At = t0.AddSeconds(1) },
        ]);
        store.RecordFeedback([
            new("r2", "u2", "i1", EventKind.Click, t0.AddSeconds(20)), new("r1", "u1", "i2", EventKind.Purchase, t0.AddSeconds(10), 9.5),
            new("r3", "u3", "i1", EventKind.Click, t0.AddSeconds(6)), new("r4", "u4", "i1", EventKind.Click, t0.AddSeconds(2)),
        ]);
        Assert.Equal([
            new ExperimentLogEntry(t0, "u1", "exp1:A", null, 0),
            new ExperimentLogEntry(t0.AddSeconds(10), "u2", "exp1:B", null, 0), // an exposure comes before feedback of the same instant
            new ExperimentLogEntry(t0.AddSeconds(10), "u1", "exp1:A", EventKind.Purchase, 9.5),
            new ExperimentLogEntry(t0.AddSeconds(20), "u2", "exp1:B", EventKind.Click, 0),
        ], store.ExperimentLog("exp1:"));
        Assert.Equal([new ExperimentLogEntry(t0.AddSeconds(5), "u3", "exp2:A", null, 0), new ExperimentLogEntry(t0.AddSeconds(6), "u3", "exp2:A", EventKind.Click, 0)],
            store.ExperimentLog("exp2:"));
        Assert.Equal(6, store.ExperimentLog("exp").Count);
        Assert.Empty(store.ExperimentLog("exp3:"));
        Assert.Throws<ArgumentException>(() => store.ExperimentLog(""));
    }

    [SkippableFact]
    public void Served_lists_keep_their_user_group_and_propensities_and_come_back_with_their_clicks()
    {
        // Issue #23: off-policy evaluation reads each list's exploit ranks and propensities; the dashboard its user group.
        var store = NewStore();
        var t0 = DateTimeOffset.FromUnixTimeSeconds(Day0);
        var logged = Served("r1", "u1") with { At = t0, UserGroup = "new", Logging = new SlotLogging(250, [0, 137, 2], [0.8, 0.2 / 240, 1]) };
        store.RecordServed([logged, Served("r2", "u2") with { At = t0.AddSeconds(1), UserGroup = "established" }, Served("old", "u1") with { At = t0.AddDays(-1) }]);
        var back = store.GetServed("r1")!;
        Assert.Equal("new", back.UserGroup);
        Assert.Equal(250, back.Logging!.Candidates);
        Assert.Equal([0, 137, 2], back.Logging.ExploitRanks);
        Assert.Equal([0.8, 0.2 / 240, 1], back.Logging.Propensities); // doubles round-trip exactly
        Assert.Equal((0, 0), (back.Logging.DrawCap, back.Logging.CappedSlots));
        Assert.Null(store.GetServed("r2")!.Logging);
        // Redrawn propensities (1/N) keep their draw cap and capped-slot count.
        store.RecordServed([Served("r3", "u3") with { At = t0.AddSeconds(2), Logging = new SlotLogging(250, [0, 40, 2], [1, 1.0 / 7, 1.0 / 10_000]) { DrawCap = 10_000, CappedSlots = 1 } }]);
        var redrawn = store.GetServed("r3")!.Logging!;
        Assert.Equal([1, 1.0 / 7, 1.0 / 10_000], redrawn.Propensities);
        Assert.Equal((10_000, 1), (redrawn.DrawCap, redrawn.CappedSlots));
        Assert.Null(redrawn.Presences);
        // Presences (the chance of the item in any slot) round-trip with their capped count; records without them read back null.
        store.RecordServed([Served("r4", "u3") with { At = t0.AddSeconds(3), Logging = new SlotLogging(250, [0, 40, 2], [1, 1.0 / 7, 1.0 / 10_000]) { DrawCap = 10_000, CappedSlots = 1, Presences = [1, 1.0 / 3, 1.0 / 10_000], CappedPresences = 1 } }]);
        var present = store.GetServed("r4")!.Logging!;
        Assert.Equal([1, 1.0 / 3, 1.0 / 10_000], present.Presences!);
        Assert.Equal(1, present.CappedPresences);
        store.RecordFeedback([
            new("r1", "u1", "i2", EventKind.Click, t0), new("r1", "u1", "i1", EventKind.Impression, t0), new("r1", "u1", "i3", EventKind.Click, t0),
            new("r1", "u1", "i2", EventKind.Click, t0), new("old", "u1", "i1", EventKind.Click, t0),
        ]);
        var outcomes = store.ServedOutcomes(t0);
        Assert.Equal(["r1", "r2", "r3", "r4"], outcomes.Select(o => o.Served.Id));
        Assert.Equal(["i2", "i3"], outcomes[0].Clicked);
        Assert.Empty(outcomes[1].Clicked);
        Assert.Equal("established", outcomes[1].Served.UserGroup);
        Assert.Equal([0.8, 0.2 / 240, 1], outcomes[0].Served.Logging!.Propensities);
        Assert.Equal(5, store.ServedOutcomes(DateTimeOffset.UnixEpoch).Count);

        // A bad record anywhere in the batch writes nothing.
        foreach (var bad in new[]
        {
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1], [1, 1]) },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 0, 1]) },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 250], [1, 1, 1]) },
            Served("b1", "u1") with { Logging = new SlotLogging(2, [0, 1, 1], [1, 1, 1]) },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 1, 1]) { DrawCap = 100, CappedSlots = 4 } },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 1, 1]) { CappedSlots = 1 } },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 0.5, 1]) { Presences = [1, 1] } },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 0.5, 1]) { Presences = [1, 0.25, 1] } },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 0.5, 1]) { Presences = [1, 1.5, 1] } },
            Served("b1", "u1") with { Logging = new SlotLogging(250, [0, 1, 2], [1, 0.5, 1]) { DrawCap = 100, CappedSlots = 1, Presences = [1, 0.5, 1], CappedPresences = 2 } },
            Served("b1", "u1") with { UserGroup = "vip" },
        })
        {
            Assert.Throws<ArgumentException>(() => store.RecordServed([Served("b0", "u1"), bad]));
            Assert.Null(store.GetServed("b0"));
        }
    }

    private sealed class ServedComparer : IEqualityComparer<ServedRecommendation?>
    {
        public bool Equals(ServedRecommendation? a, ServedRecommendation? b) =>
            a is not null && b is not null && a.Id == b.Id && a.User == b.User && a.At == b.At && a.Model == b.Model && a.Path == b.Path
            && a.Variant == b.Variant && a.Items.SequenceEqual(b.Items) && a.Explored.SequenceEqual(b.Explored);
        public int GetHashCode(ServedRecommendation? s) => s?.Id.GetHashCode() ?? 0;
    }
}
