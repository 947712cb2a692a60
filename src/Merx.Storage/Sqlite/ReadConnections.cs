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

    /// <summary>One read connection with its readers' statements prepared once. Used by one thread at a time.</summary>
    internal sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _db;

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
                Links = new UserLinkReader(Handle);
            }
            catch
            {
                _db.Dispose();
                throw;
            }
        }

        public sqlite3 Handle { get; }

        public UserChainReader Chain { get; }

        public UserLinkReader Links { get; }

        public void Dispose()
        {
            Chain.Dispose();
            Links.Dispose();
            _db.Dispose();
        }
    }
}
