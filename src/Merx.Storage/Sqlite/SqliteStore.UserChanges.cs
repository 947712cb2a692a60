using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// The user change feed (<see cref="IUserChangeFeed"/>, table <c>user_changes</c>): deletions and
/// renames are recorded by <see cref="DeleteUser"/>, <see cref="RenameUsers"/> and
/// <see cref="RekeyUsers"/> inside their own transactions. The feed is read on a second connection
/// of this store (opened on first use, with its own lock): the check every answer makes,
/// PRAGMA data_version on that connection, then never waits for the store's lock, which writers hold
/// (the lock, not the lookups, made the serving tail latency; see the history cache). The main
/// connection is "another connection" to it, so this process's own commits move the version too.
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>How long a recorded change is kept: a reader that falls further behind than this starts its per-user state over.</summary>
    public static readonly TimeSpan UserChangeRetention = TimeSpan.FromDays(1);

    private const string PrunedUpToKey = "user_changes_pruned";

    /// <summary>SQL: a deletion of the user with hash <c>$h</c> recorded after the time <c>$at</c> (Unix ms).</summary>
    private const string DeletedSince = "SELECT 1 FROM user_changes WHERE user_hash = $h AND kind = 1 AND at > $at";
    private readonly Lock _feedGate = new();
    private SqliteConnection? _feed;
    private sqlite3_stmt? _feedVersion, _feedPage;

    public long UserChangeVersion()
    {
        lock (_feedGate)
        {
            var feed = Feed();
            _feedVersion ??= RawSql.Prepare(feed.Handle!, "PRAGMA data_version");
            try
            {
                var rc = raw.sqlite3_step(_feedVersion);
                if (rc != raw.SQLITE_ROW) RawSql.Fail(feed.Handle!, rc, "reading PRAGMA data_version");
                return raw.sqlite3_column_int64(_feedVersion, 0);
            }
            finally { raw.sqlite3_reset(_feedVersion); }
        }
    }

    public long LatestUserChange()
    {
        lock (_feedGate)
        {
            using var cmd = Feed().CreateCommand();
            cmd.CommandText = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'user_changes'), 0)";
            return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public UserChangePage UserChangesAfter(long after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_feedGate)
        {
            var feed = Feed().Handle!;
            // One statement, one read transaction: the pruning mark and the page agree. One row with NULL
            // change columns when nothing is new (the common case after this process's own commits).
            _feedPage ??= RawSql.Prepare(feed, $"""
                SELECT c.seq, c.kind, c.user_hash, c.new_id, p.pruned
                FROM (SELECT COALESCE((SELECT value FROM meta WHERE key = '{PrunedUpToKey}'), 0) AS pruned) p
                LEFT JOIN (SELECT seq, kind, user_hash, new_id FROM user_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2) c
                ORDER BY c.seq
                """);
            var changes = new List<UserChange>();
            long pruned = 0;
            try
            {
                raw.sqlite3_bind_int64(_feedPage, 1, after);
                raw.sqlite3_bind_int64(_feedPage, 2, limit);
                int rc;
                while ((rc = raw.sqlite3_step(_feedPage)) == raw.SQLITE_ROW)
                {
                    pruned = raw.sqlite3_column_int64(_feedPage, 4);
                    if (raw.sqlite3_column_type(_feedPage, 0) == raw.SQLITE_NULL) continue;
                    var newId = raw.sqlite3_column_type(_feedPage, 3) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(_feedPage, 3).utf8_to_string();
                    changes.Add(new UserChange(raw.sqlite3_column_int64(_feedPage, 0), (UserChangeKind)raw.sqlite3_column_int(_feedPage, 1), raw.sqlite3_column_int64(_feedPage, 2), newId));
                }
                if (rc != raw.SQLITE_DONE) RawSql.Fail(feed, rc, "reading the user change feed");
            }
            finally { raw.sqlite3_reset(_feedPage); }
            return new UserChangePage(changes, pruned);
        }
    }

    /// <summary>Records a deletion: the id only as its hash; renames that named it as their new id forget that id.</summary>
    private void RecordDeletion(SqliteTransaction tx, string userId)
    {
        NonQuery("UPDATE user_changes SET new_id = NULL WHERE new_id = $u", tx, ("$u", userId));
        RecordUserChange(tx, UserChangeKind.Deleted, userId, null);
    }

    /// <summary>Adds one change to the feed (in the caller's write transaction) and prunes what is older than <see cref="UserChangeRetention"/>.</summary>
    private void RecordUserChange(SqliteTransaction tx, UserChangeKind kind, string oldId, string? newId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        NonQuery("INSERT INTO user_changes(kind, user_hash, new_id, at) VALUES($k, $h, $n, $at)", tx,
            ("$k", (int)kind), ("$h", UserIdHash.Of(oldId)), ("$n", newId), ("$at", now));
        if (Scalar("SELECT MAX(seq) FROM user_changes WHERE at < $cut", tx, ("$cut", now - (long)UserChangeRetention.TotalMilliseconds)) is long upTo)
        {
            NonQuery("DELETE FROM user_changes WHERE seq <= $s", tx, ("$s", upTo));
            NonQuery($"INSERT INTO meta(key, value) VALUES('{PrunedUpToKey}', $s) ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)", tx, ("$s", upTo));
        }
    }

    private SqliteConnection Feed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_feed is not null) return _feed;
        var feed = new SqliteConnection(_db.ConnectionString);
        try
        {
            feed.Open();
            RawSql.Exec(feed.Handle!, $"PRAGMA busy_timeout={(long)_options.BusyTimeout.TotalMilliseconds}");
        }
        catch
        {
            feed.Dispose();
            throw;
        }
        return _feed = feed;
    }

    private void DisposeFeed()
    {
        lock (_feedGate)
        {
            _feedVersion?.Dispose();
            _feedPage?.Dispose();
            _feed?.Dispose();
        }
    }
}
