using System.Runtime.InteropServices;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// External id → dense key of one table (users or items), kept across appends so a bulk append
/// looks each id up in the database at most once. <see cref="Complete"/> means every row of the
/// table is in the map, so a miss is a new id and needs no SELECT (true when the table started
/// empty). The store clears it on rollback and when another connection has written.
/// </summary>
internal sealed class KeyCache(sqlite3 db, string table, int limit) : IDisposable
{
    private readonly Dictionary<string, long> _map = new(StringComparer.Ordinal);
    private sqlite3_stmt? _select, _insert;
    private string? _lastId;
    private long _lastKey;

    public bool Complete { get; set; }

    public long Created { get; set; }

    public int Count => _map.Count;

    public void Clear()
    {
        _map.Clear();
        _lastId = null;
        Complete = false;
    }

    public void Remember(string id, long key)
    {
        if (_map.Count >= limit) Clear();
        _map[id] = key;
    }

    public void Forget(string id)
    {
        _map.Remove(id);
        _lastId = null;
    }

    /// <summary>The key of <paramref name="id"/>, inserting a row when the table has none. Must run inside a write transaction.</summary>
    public long Resolve(string id)
    {
        if (ReferenceEquals(id, _lastId)) return _lastKey;
        if (_map.Count >= limit) Clear();
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_map, id, out var exists);
        if (!exists)
        {
            try { slot = (Complete ? -1 : Find(id)) is var k and >= 0 ? k : Insert(id); }
            catch { _map.Remove(id); throw; }
        }
        _lastId = id;
        _lastKey = slot;
        return slot;
    }

    private long Find(string id)
    {
        _select ??= RawSql.Prepare(db, $"SELECT id FROM {table} WHERE ext_id = ?1");
        RawSql.BindText(_select, 1, id);
        var rc = raw.sqlite3_step(_select);
        var key = rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(_select, 0) : -1;
        raw.sqlite3_reset(_select);
        if (rc != raw.SQLITE_ROW && rc != raw.SQLITE_DONE) RawSql.Fail(db, rc, $"looking up {table}");
        return key;
    }

    private long Insert(string id)
    {
        _insert ??= RawSql.Prepare(db, $"INSERT INTO {table}(ext_id) VALUES(?1)");
        RawSql.BindText(_insert, 1, id);
        var rc = raw.sqlite3_step(_insert);
        raw.sqlite3_reset(_insert);
        if (rc != raw.SQLITE_DONE) RawSql.Fail(db, rc, $"inserting into {table}");
        Created++;
        return raw.sqlite3_last_insert_rowid(db);
    }

    public void Dispose()
    {
        _select?.Dispose();
        _insert?.Dispose();
    }
}
