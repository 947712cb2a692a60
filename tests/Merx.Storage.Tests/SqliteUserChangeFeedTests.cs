using Merx.Core.Domain;
using Merx.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>What only the SQLite backend's change feed has: a second process (connection) on the file, pruning, no id in the file.</summary>
public sealed class SqliteUserChangeFeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-user-changes-").FullName;
    private string Db => Path.Combine(_dir, "feed.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_change_made_through_another_connection_moves_the_version_and_is_read()
    {
        using var server = SqliteStore.Open(Db);
        server.AppendEvents([new RawEvent("p1_x", "i1", EventKind.View, 1)]);
        var version = server.UserChangeVersion();
        var position = server.LatestUserChange();
        server.AppendEvents([new RawEvent("p1_y", "i1", EventKind.View, 2)]);  // our own writes move it too: a cheap read of the feed follows
        Assert.NotEqual(version, version = server.UserChangeVersion());
        using (var cli = SqliteStore.Open(Db)) Assert.Equal(1, cli.DeleteUser("p1_x"));  // e.g. `merx forget` while the server runs
        Assert.NotEqual(version, server.UserChangeVersion());
        Assert.Equal(UserIdHash.Of("p1_x"), Assert.Single(server.UserChangesAfter(position, 10).Changes).UserHash);
    }

    [Fact]
    public void A_forgotten_id_is_nowhere_in_the_file_the_feed_included()
    {
        const string user = "p1_forget-me-feed-test-00";
        using (var store = SqliteStore.Open(Db))
        {
            store.AppendEvents([new RawEvent(user, "i1", EventKind.View, 1)]);
            store.DeleteUser(user);
            store.EraseFreedSpace(rebuild: false);
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes(user);
        Assert.True(File.ReadAllBytes(Db).AsSpan().IndexOf(bytes) < 0, "the file still holds the forgotten id");
    }

    [Fact]
    public void Changes_older_than_the_retention_are_pruned_and_a_reader_behind_them_is_told()
    {
        using var store = SqliteStore.Open(Db);
        store.DeleteUser("p1_old1");
        store.DeleteUser("p1_old2");
        var old = store.LatestUserChange();
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Db, Pooling = false }.ToString()))
        {
            raw.Open();
            using var age = raw.CreateCommand();
            age.CommandText = $"UPDATE user_changes SET at = at - {(long)SqliteStore.UserChangeRetention.TotalMilliseconds + 1000}";
            age.ExecuteNonQuery();
        }
        store.DeleteUser("p1_new");
        var page = store.UserChangesAfter(0, 10);
        Assert.Equal(old, page.PrunedThrough);
        Assert.Equal(UserIdHash.Of("p1_new"), Assert.Single(page.Changes).UserHash);
        Assert.Equal(old + 1, store.LatestUserChange());             // never reused
    }
}
