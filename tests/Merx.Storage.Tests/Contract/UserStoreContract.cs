using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The users-and-keys role (<see cref="IUserStore"/>, issue #7): profiles, deletion everywhere a
/// user's data lives (events, served lists, feedback), renames and lazy re-keying for key rotation,
/// users per key version and per attribute, erasing freed space. Uses the events, serving log and
/// settings roles to set up and to observe, because a user's data spans them.
/// </summary>
public abstract class UserStoreContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void UpsertUsers_StoresAndReplacesProfiles()
    {
        var store = NewStore();
        store.UpsertUsers(Profiles("a", "b"));
        store.UpsertUsers([new UserProfile { Id = "a", Attributes = new Dictionary<string, string> { ["region"] = "north" } }]);
        store.UpsertUsers([new UserProfile { Id = "c" }]);
        var d = store.LoadDataset();
        Assert.Equal(["a", "b", "c"], d.Users.Ids);
        Assert.Equal("north", d.Profiles[0]!.Attributes["region"]);
        Assert.False(d.Profiles[0]!.Attributes.ContainsKey("age_band"));
        Assert.Equal("30s", d.Profiles[1]!.Attributes["age_band"]);
        Assert.Empty(d.Profiles[2]!.Attributes);
        Assert.Equal(3, store.GetStats().UsersWithProfile);
    }

    [SkippableFact]
    public void UpsertUsers_BetweenAppends_KeepsTheUsersHistory()
    {
        var store = NewStore();
        store.AppendEvents([new("a", "i1", EventKind.View, 1), new("a", "i2", EventKind.View, 2)]);
        store.UpsertUsers(Profiles("a"));
        store.AppendEvents([new("a", "i3", EventKind.Purchase, 3)]);
        Assert.Equal(["i3", "i2", "i1"], store.RecentEvents("a", 10).Select(e => e.Item));
        Assert.Equal(3, store.DeleteUser("a"));
        Assert.Equal(0, store.GetStats().Events);
    }

    [SkippableFact]
    public void DeleteUser_RemovesEventsAndProfile_AndStatsNoLongerCountThem()
    {
        var store = NewStore();
        var events = Events(200, seed: 12);
        events.Add(new RawEvent("u3", "only-u3", EventKind.Purchase, 9, 1f));
        store.UpsertUsers(Profiles("u3", "u4"));
        store.AppendEvents(events);
        var removed = store.DeleteUser("u3");
        Assert.Equal(events.Count(e => e.User == "u3"), removed);
        Assert.Equal(0, store.DeleteUser("u3"));
        Assert.Equal(0, store.DeleteUser("never-seen"));

        var kept = events.Where(e => e.User != "u3").ToList();
        var reference = Reference([], Profiles("u3", "u4").Where(p => p.Id != "u3"), kept);
        AssertStatsMatch(reference, store.GetStats());
        Assert.Empty(store.RecentEvents("u3", 10));
        var d = store.LoadDataset();
        Assert.Equal(-1, d.Users.IndexOf("u3"));
        Assert.Equal(-1, d.Items.IndexOf("only-u3"));
        Assert.Equal(reference.Events.Count, d.Events.Count);

        var again = store.AppendEvents([new("u3", "only-u3", EventKind.View, 10)]);
        Assert.Equal(1, again.NewUsers);
        Assert.Equal([new RawEvent("u3", "only-u3", EventKind.View, 10)], store.RecentEvents("u3", 10));
    }

    [SkippableFact]
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

    [SkippableFact]
    public void Deleting_a_user_known_only_from_served_lists_removes_them()
    {
        var store = NewStore();
        store.RecordServed([new ServedRecommendation("r9", "visitor", DateTimeOffset.UnixEpoch, null, "cold", null, ["i1"], [true])]);
        store.RecordFeedback([new FeedbackRecord("r9", "visitor", "i1", EventKind.Impression, DateTimeOffset.UnixEpoch)]);
        Assert.Equal(0, store.DeleteUser("visitor"));
        Assert.Null(store.GetServed("r9"));
        Assert.Empty(store.FeedbackCounts());
    }

    [SkippableFact]
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

    [SkippableFact]
    public void Rekeying_renames_a_returning_user_once_and_leaves_current_and_unknown_users_alone()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("p1_a", "i1", EventKind.View, 10), new RawEvent("p1_a", "i2", EventKind.Purchase, 11), new RawEvent("p1_b", "i1", EventKind.View, 12), new RawEvent("p2_c", "i3", EventKind.View, 13)]);
        store.UpsertUsers([new UserProfile { Id = "p1_a", Attributes = new Dictionary<string, string> { ["tier"] = "gold" } }]);
        store.RecordServed([new ServedRecommendation("r1", "p1_a", DateTimeOffset.UnixEpoch, null, "full", null, ["i1"], [false])]);
        store.RecordFeedback([new FeedbackRecord("r1", "p1_a", "i1", EventKind.Click, DateTimeOffset.UnixEpoch)]);

        var renamed = store.RekeyUsers([
            new UserRekey("p3_a", ["p2_a", "p1_a"]),   // found under the oldest key
            new UserRekey("p2_c", ["p1_c"]),           // already current
            new UserRekey("p2_new", ["p1_new"]),       // unknown under every key
        ]);
        Assert.Equal([("p1_a", "p3_a")], renamed);
        Assert.Equal(["i2", "i1"], store.RecentEvents("p3_a", 10).Select(e => e.Item));
        Assert.Empty(store.RecentEvents("p1_a", 10));
        Assert.Equal("p3_a", store.GetServed("r1")!.User);
        Assert.Equal(1, store.UsersByAttribute("tier")["gold"]);
        Assert.Empty(store.RekeyUsers([new UserRekey("p3_a", ["p1_a"])])); // a second time there is nothing to do
        store.AppendEvents([new RawEvent("p3_a", "i4", EventKind.View, 14)]); // the chain continues under the new id
        Assert.Equal(3, store.RecentEvents("p3_a", 10).Count);
        Assert.Equal(3, store.GetStats().Users);
        Assert.Equal(1, store.UsersByIdPrefix()["p1_"]);
        Assert.Equal(1, store.UsersByIdPrefix()["p2_"]);
        Assert.Equal(1, store.UsersByIdPrefix()["p3_"]);
        Assert.Throws<ArgumentException>(() => store.RekeyUsers([new UserRekey("", ["p1_b"])]));
    }

    [SkippableFact]
    public void Rekeying_keeps_both_users_when_the_current_id_already_exists()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("p1_a", "i1", EventKind.View, 10), new RawEvent("p2_a", "i2", EventKind.View, 11)]);
        Assert.Empty(store.RekeyUsers([new UserRekey("p2_a", ["p1_a"])]));
        Assert.Single(store.RecentEvents("p1_a", 10));
        Assert.Single(store.RecentEvents("p2_a", 10));
    }

    [SkippableFact]
    public void Users_by_id_prefix_counts_users_per_key_version()
    {
        var store = NewStore();
        Assert.Empty(store.UsersByIdPrefix());
        store.AppendEvents([new RawEvent("p1_x", "i1", EventKind.View, 1), new RawEvent("p1_y", "i1", EventKind.View, 2), new RawEvent("legacy", "i1", EventKind.View, 3)]);
        store.UpsertUsers([new UserProfile { Id = "p12_z" }]);
        var counts = store.UsersByIdPrefix();
        Assert.Equal(2, counts["p1_"]);
        Assert.Equal(1, counts["p12_"]);
        Assert.Equal(1, counts[""]);
    }

    [SkippableFact]
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

    [SkippableFact]
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
