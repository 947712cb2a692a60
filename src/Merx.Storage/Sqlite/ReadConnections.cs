using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// Extra connections for the request path's reads (a user's recent events, the users linked to them), so a
/// cache miss does not wait for the store's one writing connection and its lock: in WAL mode a reader runs
/// beside the writer and sees the last commit. Opened on first use, at most <see cref="SqliteStoreOptions.ReadConnections"/>;
/// when every one is busy the caller falls back to the writing connection. Each is <c>query_only</c>.
/// </summary>
internal sealed class ReadConnections(string connectionString, SqliteStoreOptions options) : IDisposable
{
    private readonly ConcurrentBag<Reader> _idle = [];
    private int _opened;
    private volatile bool _disposed;

    /// <summary>An idle reader, a new one while fewer than the limit are open, or null (use the writing connection).</summary>
    public Reader? TryRent()
    {
        if (_disposed) return null;
        if (_idle.TryTake(out var reader)) return reader;
        if (Interlocked.Increment(ref _opened) > options.ReadConnections)
        {
            Interlocked.Decrement(ref _opened);
            return null;
        }
        try { return new Reader(connectionString, options); }
        catch
        {
            Interlocked.Decrement(ref _opened);
            throw;
        }
    }

    public void Return(Reader reader)
    {
        _idle.Add(reader);
        if (_disposed) Drain();
    }

    /// <summary>Closes the idle readers; one in use is closed when it comes back.</summary>
    public void Dispose()
    {
        _disposed = true;
        Drain();
    }

    private void Drain()
    {
        while (_idle.TryTake(out var reader)) reader.Dispose();
    }

    /// <summary>One read connection with its statements prepared once. Used by one thread at a time.</summary>
    internal sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _db;
        private sqlite3_stmt? _group, _members;

        public Reader(string connectionString, SqliteStoreOptions options)
        {
            _db = new SqliteConnection(connectionString);
            try
            {
                _db.Open();
                Handle = _db.Handle ?? throw new InvalidOperationException("the SQLite connection has no handle");
                RawSql.Exec(Handle, $"""
                    PRAGMA query_only=ON;
                    PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds};
                    PRAGMA cache_size=-{options.ReadCacheSizeKiB};
                    """);
                Chain = new UserChainReader(Handle);
            }
            catch
            {
                _db.Dispose();
                throw;
            }
        }

        public sqlite3 Handle { get; }

        public UserChainReader Chain { get; }

        /// <summary>The group key of a linked user, or null; then the group's ids. Call inside a read transaction.</summary>
        public IReadOnlyList<string>? LinkedUsers(string userId)
        {
            _group ??= RawSql.Prepare(Handle, "SELECT l.grp FROM user_links l JOIN users u ON u.id = l.user_id WHERE u.ext_id = ?1");
            _members ??= RawSql.Prepare(Handle, "SELECT u.ext_id FROM user_links l JOIN users u ON u.id = l.user_id WHERE l.grp = ?1");
            long? grp = null;
            try
            {
                RawSql.BindText(_group, 1, userId);
                var rc = raw.sqlite3_step(_group);
                if (rc == raw.SQLITE_ROW) grp = raw.sqlite3_column_int64(_group, 0);
                else if (rc != raw.SQLITE_DONE) RawSql.Fail(Handle, rc, "reading a user's link group");
            }
            finally { raw.sqlite3_reset(_group); }
            if (grp is null) return null;
            var members = new List<string>();
            try
            {
                raw.sqlite3_bind_int64(_members, 1, grp.Value);
                int rc;
                while ((rc = raw.sqlite3_step(_members)) == raw.SQLITE_ROW) members.Add(raw.sqlite3_column_text(_members, 0).utf8_to_string());
                if (rc != raw.SQLITE_DONE) RawSql.Fail(Handle, rc, "reading a link group's members");
            }
            finally { raw.sqlite3_reset(_members); }
            members.Sort(StringComparer.Ordinal);
            return members;
        }

        public void Dispose()
        {
            Chain.Dispose();
            _group?.Dispose();
            _members?.Dispose();
            _db.Dispose();
        }
    }
}
