using Merx.Core.Domain;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// Reads a user's latest events by walking the newest-first chain (users.last_seq, then each
/// event's prev_seq): one rowid lookup per event through two statements prepared once. Measured
/// 15 µs per event through a recursive CTE run by Microsoft.Data.Sqlite; the walk here avoids
/// its per-call statement setup and temp b-tree.
/// </summary>
internal sealed class UserChainReader(sqlite3 db) : IDisposable
{
    private sqlite3_stmt? _user, _event;

    /// <summary>Newest first, at most <paramref name="limit"/>; empty for an unknown user. Call inside a read transaction for a consistent view.</summary>
    public List<RawEvent> Recent(string userId, int limit)
    {
        var list = new List<RawEvent>(Math.Min(limit, 256));
        _user ??= RawSql.Prepare(db, "SELECT COALESCE(last_seq, 0) FROM users WHERE ext_id = ?1");
        _event ??= RawSql.Prepare(db, """
            SELECT i.ext_id, e.kind, e.ts, e.value, e.session, e.query, COALESCE(e.prev_seq, 0), e.platform
            FROM events e LEFT JOIN items i ON i.id = e.item_id WHERE e.seq = ?1
            """);
        RawSql.BindText(_user, 1, userId);
        var seq = raw.sqlite3_step(_user) == raw.SQLITE_ROW ? raw.sqlite3_column_int64(_user, 0) : 0;
        raw.sqlite3_reset(_user);
        while (seq != 0 && list.Count < limit)
        {
            raw.sqlite3_bind_int64(_event, 1, seq);
            var rc = raw.sqlite3_step(_event);
            if (rc != raw.SQLITE_ROW)
            {
                raw.sqlite3_reset(_event);
                RawSql.Fail(db, rc == raw.SQLITE_DONE ? raw.SQLITE_CORRUPT : rc, $"reading event {seq} of user '{userId}' (broken chain)");
            }
            list.Add(new RawEvent(userId, Text(_event, 0), (EventKind)raw.sqlite3_column_int(_event, 1), raw.sqlite3_column_int64(_event, 2),
                (float)raw.sqlite3_column_double(_event, 3), Text(_event, 4), Text(_event, 5), Text(_event, 7)));
            seq = raw.sqlite3_column_int64(_event, 6);
            raw.sqlite3_reset(_event);
        }
        return list;
    }

    private static string? Text(sqlite3_stmt s, int i) =>
        raw.sqlite3_column_type(s, i) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(s, i).utf8_to_string();

    public void Dispose()
    {
        _user?.Dispose();
        _event?.Dispose();
    }
}
