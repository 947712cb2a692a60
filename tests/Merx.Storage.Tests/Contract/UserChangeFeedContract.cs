using Merx.Core.Domain;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The user change feed (issue 16): every deletion and rename is recorded, in order, with the old id
/// only as its hash, so that every process can bring its in-memory per-user state up to date
/// (<see cref="IUserChangeFeed"/>; written by the users-and-keys role, read by every host).
/// </summary>
public abstract class UserChangeFeedContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void A_deletion_is_recorded_by_the_hash_of_the_id_only()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("p1_gone", "i1", EventKind.View, 10)]);
        var start = store.LatestUserChange();
        Assert.Equal(1, store.DeleteUser("p1_gone"));
        Assert.Equal(0, store.DeleteUser("p1_never_seen")); // recorded too: another process may hold an unwritten served list of them
        var page = store.UserChangesAfter(start, 100);
        Assert.Equal([(UserChangeKind.Deleted, UserIdHash.Of("p1_gone"), (string?)null), (UserChangeKind.Deleted, UserIdHash.Of("p1_never_seen"), null)],
            page.Changes.Select(c => (c.Kind, c.UserHash, c.NewId)));
        Assert.True(page.Changes[0].Sequence > start && page.Changes[1].Sequence > page.Changes[0].Sequence);
        Assert.Equal(page.Changes[1].Sequence, store.LatestUserChange());
        Assert.Equal(0, page.PrunedThrough);
        Assert.Empty(store.UserChangesAfter(page.Changes[1].Sequence, 100).Changes);
    }

    [SkippableFact]
    public void Renames_eager_and_lazy_are_recorded_with_the_new_id_until_that_user_is_deleted()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("p1_a", "i1", EventKind.View, 10), new RawEvent("p1_b", "i2", EventKind.View, 11)]);
        store.ClaimSetting("pseudonym_key", "v1:old");
        var start = store.LatestUserChange();
        Assert.Equal(1, store.RenameUsers(new Dictionary<string, string> { ["p1_a"] = "p2_a", ["p1_unknown"] = "p2_x" }, ("pseudonym_key", "v1:old", "v2:new")));
        Assert.Equal([("p1_b", "p2_b")], store.RekeyUsers([new UserRekey("p2_b", ["p1_b"])]));
        var renames = store.UserChangesAfter(start, 100).Changes;
        Assert.Equal([(UserChangeKind.Renamed, UserIdHash.Of("p1_a"), (string?)"p2_a"), (UserChangeKind.Renamed, UserIdHash.Of("p1_b"), "p2_b")],
            renames.Select(c => (c.Kind, c.UserHash, c.NewId)));

        store.DeleteUser("p2_a");
        var after = store.UserChangesAfter(start, 100).Changes;
        Assert.Null(after[0].NewId);                                   // no copy of a forgotten id stays in the feed
        Assert.Equal("p2_b", after[1].NewId);
        Assert.Equal((UserChangeKind.Deleted, UserIdHash.Of("p2_a")), (after[2].Kind, after[2].UserHash));
    }

    [SkippableFact]
    public void The_feed_is_read_in_pages_oldest_first()
    {
        var store = NewStore();
        var start = store.LatestUserChange();
        for (var i = 0; i < 5; i++) store.DeleteUser($"p1_{i}");
        var first = store.UserChangesAfter(start, 2).Changes;
        var rest = store.UserChangesAfter(first[^1].Sequence, 10).Changes;
        Assert.Equal(Enumerable.Range(0, 5).Select(i => UserIdHash.Of($"p1_{i}")), first.Concat(rest).Select(c => c.UserHash));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.UserChangesAfter(start, 0));
    }

    [SkippableFact]
    public void The_change_version_moves_with_a_recorded_change_and_only_then()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("p1_v", "i1", EventKind.View, 10)]);
        var before = store.UserChangeVersion();
        Assert.Equal(before, store.UserChangeVersion());
        store.DeleteUser("p1_v");
        var after = store.UserChangeVersion();
        Assert.NotEqual(before, after);
        Assert.Equal(after, store.UserChangeVersion());
    }

    [SkippableFact]
    public void Changes_survive_reopening_and_sequence_numbers_are_not_reused()
    {
        var store = NewStore();
        store.DeleteUser("p1_a");
        var latest = store.LatestUserChange();
        store = Reopen(store);
        Assert.Equal(latest, store.LatestUserChange());
        store.DeleteUser("p1_b");
        Assert.True(store.LatestUserChange() > latest);
    }

    [SkippableFact]
    public void A_list_served_before_its_user_was_deleted_is_not_written_afterwards()
    {
        var store = NewStore();
        var now = DateTimeOffset.UtcNow;
        store.DeleteUser("p1_late");  // e.g. by another process, while this one still buffered the list
        store.RecordServed([Served("r-late", "p1_late", now.AddMinutes(-1)), Served("r-back", "p1_late", now.AddMinutes(1)), Served("r-other", "p1_other", now.AddMinutes(-1))]);
        Assert.Null(store.GetServed("r-late"));
        Assert.Equal("p1_late", store.GetServed("r-back")!.User);   // served after the deletion: the user came back
        Assert.Equal("p1_other", store.GetServed("r-other")!.User);
    }

    private static ServedRecommendation Served(string id, string user, DateTimeOffset at) => new(id, user, at, null, "full", null, ["i1"], [false]);

    [SkippableFact]
    public void UserIdHash_is_the_first_eight_bytes_of_SHA256_big_endian()
    {
        // SHA-256("abc") = ba7816bf 8f01cfea ... (FIPS 180-2, appendix B.1).
        Assert.Equal(unchecked((long)0xba7816bf8f01cfeaUL), UserIdHash.Of("abc"));
    }
}
