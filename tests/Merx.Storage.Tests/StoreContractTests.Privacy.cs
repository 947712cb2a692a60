using Merx.Core.Domain;

namespace Merx.Storage.Tests;

/// <summary>The privacy side of the contract (issue #7): settings, user renames for key rotation, users by attribute, deletion.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public void Settings_are_claimed_once_and_swapped_only_from_the_expected_value()
    {
        var store = NewStore();
        Assert.Null(store.GetSetting("pseudonym_key"));
        Assert.Equal("v1:aaaa", store.ClaimSetting("pseudonym_key", "v1:aaaa"));
        Assert.Equal("v1:aaaa", store.ClaimSetting("pseudonym_key", "v1:bbbb")); // the first claim wins
        Assert.False(store.ReplaceSetting("pseudonym_key", "v1:bbbb", "v2:cccc"));
        Assert.True(store.ReplaceSetting("pseudonym_key", "v1:aaaa", "v2:cccc"));
        store = Reopen(store);
        Assert.Equal("v2:cccc", store.GetSetting("pseudonym_key"));
        Assert.Throws<ArgumentException>(() => store.ClaimSetting("other", "12345"));
    }

    [Fact]
    public void Renaming_users_keeps_their_history_served_lists_and_feedback_in_one_transaction()
    {
        var store = NewStore();
        store.ClaimSetting("pseudonym_key", "v1:old");
        store.AppendEvents([new RawEvent("p1_a", "i1", EventKind.View, 10), new RawEvent("p1_b", "i2", EventKind.View, 11), new RawEvent("p1_a", "i3", EventKind.Purchase, 12)]);
        store.RecordServed([new ServedRecommendation("r1", "p1_a", DateTimeOffset.UnixEpoch, null, "full", null, ["i1"], [false])]);
        store.RecordFeedback([new FeedbackRecord("r1", "p1_a", "i1", EventKind.Click, DateTimeOffset.UnixEpoch)]);

        // A clash renames nothing, the setting included.
        Assert.Throws<ArgumentException>(() => store.RenameUsers(new Dictionary<string, string> { ["p1_a"] = "p2_a", ["p1_b"] = "p2_a" }, ("pseudonym_key", "v1:old", "v2:new")));
        Assert.Equal(2, store.RecentEvents("p1_a", 10).Count);
        Assert.Equal("v1:old", store.GetSetting("pseudonym_key"));

        Assert.Equal(2, store.RenameUsers(new Dictionary<string, string> { ["p1_a"] = "p2_a", ["p1_b"] = "p2_b", ["p1_unknown"] = "p2_c" }, ("pseudonym_key", "v1:old", "v2:new")));
        Assert.Equal("v2:new", store.GetSetting("pseudonym_key"));
        Assert.Equal(["i3", "i1"], store.RecentEvents("p2_a", 10).Select(e => e.Item));
        Assert.Empty(store.RecentEvents("p1_a", 10));
        Assert.Equal("p2_a", store.GetServed("r1")!.User);
        store.AppendEvents([new RawEvent("p2_a", "i4", EventKind.View, 13)]); // the chain continues under the new id
        Assert.Equal(3, store.RecentEvents("p2_a", 10).Count);
        Assert.Equal(2, store.GetStats().Users);
        Assert.Equal(3, store.DeleteUser("p2_a"));
        Assert.Null(store.GetServed("r1"));
        Assert.Throws<InvalidOperationException>(() => store.RenameUsers(new Dictionary<string, string> { ["p2_b"] = "p3_b" }, ("pseudonym_key", "v1:old", "v3:x")));
    }

    [Fact]
    public void Deleting_a_user_known_only_from_served_lists_removes_them()
    {
        var store = NewStore();
        store.RecordServed([new ServedRecommendation("r9", "visitor", DateTimeOffset.UnixEpoch, null, "cold", null, ["i1"], [true])]);
        store.RecordFeedback([new FeedbackRecord("r9", "visitor", "i1", EventKind.Impression, DateTimeOffset.UnixEpoch)]);
        Assert.Equal(0, store.DeleteUser("visitor"));
        Assert.Null(store.GetServed("r9"));
        Assert.Empty(store.FeedbackCounts());
    }

    [Fact]
    public void Users_by_attribute_counts_distinct_profiles_per_value()
    {
        var store = NewStore();
        store.UpsertUsers([
            new UserProfile { Id = "a", Attributes = new Dictionary<string, string> { ["tier"] = "gold", ["region"] = "n" } },
            new UserProfile { Id = "b", Attributes = new Dictionary<string, string> { ["tier"] = "gold" } },
            new UserProfile { Id = "c", Attributes = new Dictionary<string, string> { ["tier"] = "silver" } },
            new UserProfile { Id = "d" },
        ]);
        store.UpsertUsers([new UserProfile { Id = "a", Attributes = new Dictionary<string, string> { ["tier"] = "gold" } }]); // replaced, still one user
        var tiers = store.UsersByAttribute("tier");
        Assert.Equal(2, tiers.Count);
        Assert.Equal(2, tiers["gold"]);
        Assert.Equal(1, tiers["silver"]);
        Assert.Empty(store.UsersByAttribute("region"));
    }

    [Fact]
    public void Erasing_freed_space_keeps_every_live_row()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("u1", "i1", EventKind.View, 1), new RawEvent("u2", "i2", EventKind.View, 2)]);
        store.DeleteUser("u1");
        store.EraseFreedSpace(rebuild: true);
        store.EraseFreedSpace(rebuild: false);
        Assert.Single(store.RecentEvents("u2", 10));
        Assert.Equal(1, store.GetStats().Events);
        store.AppendEvents([new RawEvent("u2", "i3", EventKind.View, 3)]);
        Assert.Equal(2, store.RecentEvents("u2", 10).Count);
    }
}
