using Merx.Core.Domain;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// One customer across platforms (issue 22), in every backend: the platform an event came from, and links
/// between ids of one person (groups; read as one user by training; recorded in the change feed; kept by
/// renames, dropped by deletion).
/// </summary>
public abstract class UserLinkContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void The_platform_is_stored_and_read_back_and_a_bad_one_rejects_the_whole_batch()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("u", "i1", EventKind.View, 1, Platform: "web"), new RawEvent("u", "i2", EventKind.View, 2), new RawEvent("u", "i3", EventKind.Click, 3, Platform: "mini-program")]);
        Assert.Equal(["mini-program", null, "web"], store.RecentEvents("u", 10).Select(e => e.Platform));
        var before = store.GetStats();
        var error = Assert.Throws<ArgumentException>(() => store.AppendEvents([new RawEvent("u", "i4", EventKind.View, 4, Platform: "app"), new RawEvent("u", "i5", EventKind.View, 5, Platform: "Web Shop")]));
        Assert.Contains("event #1", error.Message);
        Assert.Contains("platform 'Web Shop' is not a label", error.Message);
        Assert.Equal(before.Events, store.GetStats().Events);
        Assert.Equal(3, store.RecentEvents("u", 10).Count);
    }

    [SkippableFact]
    public void Linked_ids_form_one_group_and_training_reads_the_group_as_its_first_id()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("web-1", "i1", EventKind.View, 10, Platform: "web"), new RawEvent("other", "i9", EventKind.View, 11),
            new RawEvent("app-7", "i2", EventKind.View, 12, Platform: "app"), new RawEvent("web-1", "i3", EventKind.Purchase, 13, Platform: "web")]);
        Assert.Equal(["app-7", "web-1"], store.LinkUsers("app-7", "web-1"));
        Assert.Equal(["app-7", "web-1"], store.LinkedUsers("web-1"));
        Assert.Equal(["other"], store.LinkedUsers("other"));
        Assert.Equal(["never-seen"], store.LinkedUsers("never-seen"));
        Assert.Equal(["app-7", "store-card", "web-1"], store.LinkUsers("store-card", "web-1"));   // an id with no events yet joins too
        Assert.Equal(["app-7", "store-card", "web-1"], store.LinkUsers("app-7", "store-card"));   // already one group: nothing changes

        var d = store.LoadDataset();
        Assert.Equal(["web-1", "other"], d.Users.Ids);           // web-1 was stored first, so the group is web-1
        var group = d.Users.IndexOf("web-1");
        Assert.Equal(new[] { "i1", "i2", "i3" }, d.Sequences.ItemsOf(group).ToArray().Select(i => d.Items.Ids[i]));
        Assert.Equal(4, store.GetStats().Events);
        Assert.Equal(3, store.GetStats().Users);                  // stats count the stored ids with events; a link adds none
    }

    [SkippableFact]
    public void Unlinking_takes_one_id_out_and_a_group_of_one_dissolves()
    {
        var store = NewStore();
        store.LinkUsers("a", "b");
        store.LinkUsers("c", "b");
        Assert.Equal(["a", "c"], store.UnlinkUser("b"));
        Assert.Equal(["b"], store.LinkedUsers("b"));
        Assert.Equal(["a", "c"], store.LinkedUsers("c"));
        Assert.Equal(["c"], store.UnlinkUser("a"));
        Assert.Equal(["c"], store.LinkedUsers("c"));
        Assert.Empty(store.UnlinkUser("c"));
        Assert.Empty(store.UnlinkUser("never-seen"));
        // A fresh group never reuses a dissolved group's label by accident: linking anew keeps the groups apart.
        store.LinkUsers("a", "b");
        store.LinkUsers("c", "d");
        Assert.Equal(["a", "b"], store.LinkedUsers("a"));
        Assert.Equal(["c", "d"], store.LinkedUsers("d"));
    }

    [SkippableFact]
    public void Bad_links_are_rejected_and_write_nothing()
    {
        var store = NewStore();
        Assert.Throws<ArgumentException>(() => store.LinkUsers("a", "a"));
        Assert.Throws<ArgumentException>(() => store.LinkUsers("", "a"));
        for (var i = 1; i < UserLinkRules.MaxGroup; i++) store.LinkUsers("p0", "p" + i);
        Assert.Equal(UserLinkRules.MaxGroup, store.LinkedUsers("p0").Count);
        store.LinkUsers("q0", "q1");
        var error = Assert.Throws<ArgumentException>(() => store.LinkUsers("q0", "p5"));
        Assert.Contains($"at most {UserLinkRules.MaxGroup} ids", error.Message);
        Assert.Equal(["q0", "q1"], store.LinkedUsers("q1"));
        Assert.Equal(UserLinkRules.MaxGroup, store.LinkedUsers("p5").Count);
    }

    [SkippableFact]
    public void Link_changes_are_recorded_in_the_feed_for_every_member_and_links_survive_renames_and_reopening()
    {
        var store = NewStore();
        store.AppendEvents([new RawEvent("p1_a", "i1", EventKind.View, 1), new RawEvent("p1_b", "i2", EventKind.View, 2)]);
        var start = store.LatestUserChange();
        store.LinkUsers("p1_a", "p1_b");
        Assert.Equal([(UserChangeKind.Relinked, UserIdHash.Of("p1_a")), (UserChangeKind.Relinked, UserIdHash.Of("p1_b"))],
            store.UserChangesAfter(start, 100).Changes.Select(c => (c.Kind, c.UserHash)));
        Assert.Equal(1, store.RenameUsers(new Dictionary<string, string> { ["p1_a"] = "p2_a" }));
        store = Reopen(store);
        Assert.Equal(["p1_b", "p2_a"], store.LinkedUsers("p1_b"));

        var mark = store.LatestUserChange();
        Assert.Equal(1, store.DeleteUser("p2_a"));
        Assert.Equal(["p1_b"], store.LinkedUsers("p1_b"));
        var changes = store.UserChangesAfter(mark, 100).Changes.Select(c => (c.Kind, c.UserHash)).ToArray();
        Assert.Contains((UserChangeKind.Relinked, UserIdHash.Of("p1_b")), changes);
        Assert.Contains((UserChangeKind.Deleted, UserIdHash.Of("p2_a")), changes);
    }
}
