using Merx.Core.Domain;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public ImportBatch AppendEvents(IEnumerable<RawEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            using var tx = BeginWrite();
            try
            {
                var batch = AppendInTransaction(events);
                tx.Commit();
                return batch;
            }
            catch
            {
                CacheCouldBeWrong();
                throw;
            }
        }
    }

    private ImportBatch AppendInTransaction(IEnumerable<RawEvent> events)
    {
        var emptyLog = RawSql.ScalarInt64(_handle, "SELECT EXISTS(SELECT 1 FROM events)") == 0;
        var deferIndex = emptyLog && _options.DeferIndexOnFirstLoad;
        if (deferIndex) RawSql.Exec(_handle, $"DROP INDEX IF EXISTS {SqliteMigrations.UserSeqIndex}");
        if (_users.Count == 0 && RawSql.ScalarInt64(_handle, "SELECT EXISTS(SELECT 1 FROM users)") == 0) _users.Complete = true;
        if (_items.Count == 0 && RawSql.ScalarInt64(_handle, "SELECT EXISTS(SELECT 1 FROM items)") == 0) _items.Complete = true;
        _users.Created = _items.Created = 0;

        var first = RawSql.ScalarInt64(_handle, "SELECT value FROM meta WHERE key = 'next_seq'");
        var seq = first;
        var stmt = _insertEvent ??= RawSql.Prepare(_handle,
            "INSERT INTO events(seq, user_id, item_id, kind, ts, value, session, query) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        foreach (var e in events)
        {
            EventValidation.Check(e, seq - first);
            var user = _users.Resolve(e.User);
            raw.sqlite3_bind_int64(stmt, 1, seq);
            raw.sqlite3_bind_int64(stmt, 2, user);
            if (e.Item is null) raw.sqlite3_bind_null(stmt, 3);
            else raw.sqlite3_bind_int64(stmt, 3, _items.Resolve(e.Item));
            raw.sqlite3_bind_int(stmt, 4, (int)e.Kind);
            raw.sqlite3_bind_int64(stmt, 5, e.Timestamp);
            raw.sqlite3_bind_double(stmt, 6, e.Value);
            RawSql.BindTextOrNull(stmt, 7, e.Session);
            RawSql.BindTextOrNull(stmt, 8, e.Query);
            var rc = raw.sqlite3_step(stmt);
            raw.sqlite3_reset(stmt);
            if (rc != raw.SQLITE_DONE) RawSql.Fail(_handle, rc, $"appending event #{seq - first}");
            seq++;
        }

        if (deferIndex) RawSql.Exec(_handle, $"CREATE INDEX IF NOT EXISTS {SqliteMigrations.UserSeqIndex} ON events(user_id, seq)");
        RawSql.Exec(_handle, $"UPDATE meta SET value = {seq} WHERE key = 'next_seq'");
        var n = seq - first;
        return new ImportBatch(n, _users.Created, _items.Created, n == 0 ? 0 : first, n == 0 ? 0 : seq - 1);
    }

    public IReadOnlyList<RawEvent> RecentEvents(string userId, int limit)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT i.ext_id, e.kind, e.ts, e.value, e.session, e.query
                FROM events e LEFT JOIN items i ON i.id = e.item_id
                WHERE e.user_id = (SELECT id FROM users WHERE ext_id = $u)
                ORDER BY e.seq DESC LIMIT $n
                """);
            cmd.Parameters.AddWithValue("$u", userId);
            cmd.Parameters.AddWithValue("$n", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<RawEvent>();
            while (r.Read())
                list.Add(new RawEvent(userId, r.IsDBNull(0) ? null : r.GetString(0), (EventKind)r.GetInt32(1), r.GetInt64(2),
                    (float)r.GetDouble(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
            return list;
        }
    }

    public long DeleteUser(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        lock (_gate)
        {
            using var tx = BeginWrite();
            if (Scalar("SELECT id FROM users WHERE ext_id = $u", tx, ("$u", userId)) is not long key) return 0;
            long removed = NonQuery("DELETE FROM events WHERE user_id = $k", tx, ("$k", key));
            NonQuery("DELETE FROM users WHERE id = $k", tx, ("$k", key));
            tx.Commit();
            _users.Forget(userId);
            return removed;
        }
    }
}
