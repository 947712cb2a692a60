using Merx.Core.Domain;

namespace Merx.Storage.Tests;

/// <summary>The serving side of the contract: served recommendations, feedback, state blobs, catalog listing, recent users (issue #5).</summary>
public abstract partial class StoreContractTests
{
    private static ServedRecommendation Served(string id, string user, string? variant = null) =>
        new(id, user, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), "sasrec", "full", variant, ["i1", "i2", "i3"], [false, true, false]);

    [Fact]
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

    [Fact]
    public void Deleting_a_user_removes_their_served_lists_and_feedback()
    {
        var store = NewStore();
        store.AppendEvents([new("u1", "i1", EventKind.View, 1), new("u2", "i1", EventKind.View, 2)]);
        store.RecordServed([Served("r1", "u1"), Served("r2", "u2")]);
        store.RecordFeedback([new("r1", "u1", "i1", EventKind.Click, DateTimeOffset.UnixEpoch), new("r2", "u2", "i1", EventKind.Click, DateTimeOffset.UnixEpoch)]);
        Assert.Equal(1, store.DeleteUser("u1"));
        Assert.Null(store.GetServed("r1"));
        Assert.NotNull(store.GetServed("r2"));
        Assert.Equal(1, store.FeedbackCounts()[("", EventKind.Click)]);
    }

    [Fact]
    public void State_blobs_replace_and_survive_reopening()
    {
        var store = NewStore();
        Assert.Null(store.GetState("policy"));
        store.PutState("policy", [1, 2, 3]);
        store.PutState("policy", [4, 5]);
        store = Reopen(store);
        Assert.Equal([4, 5], store.GetState("policy"));
        Assert.Throws<ArgumentException>(() => store.PutState("", [1]));
    }

    [Fact]
    public void ReadItems_lists_catalog_and_event_only_items_and_RecentUsers_orders_by_activity()
    {
        var store = NewStore();
        store.UpsertItems([new Item { Id = "c1", Title = "Catalogued" }]);
        store.AppendEvents([new("u1", "e1", EventKind.View, 1), new("u2", "c1", EventKind.View, 2), new("u1", "e2", EventKind.View, 3)]);
        var items = store.ReadItems();
        Assert.Equal(["c1", "e1", "e2"], items.Select(i => i.Id));
        Assert.Equal("Catalogued", items[0].Item?.Title);
        Assert.Null(items[1].Item);
        Assert.Equal(["u1", "u2"], store.RecentUsers(10));
        Assert.Equal(["u1"], store.RecentUsers(1));
    }

    private sealed class ServedComparer : IEqualityComparer<ServedRecommendation?>
    {
        public bool Equals(ServedRecommendation? a, ServedRecommendation? b) =>
            a is not null && b is not null && a.Id == b.Id && a.User == b.User && a.At == b.At && a.Model == b.Model && a.Path == b.Path
            && a.Variant == b.Variant && a.Items.SequenceEqual(b.Items) && a.Explored.SequenceEqual(b.Explored);
        public int GetHashCode(ServedRecommendation? s) => s?.Id.GetHashCode() ?? 0;
    }
}
