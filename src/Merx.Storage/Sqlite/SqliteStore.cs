using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode (readers never block the writer),
/// synchronous=FULL by default (an acknowledged commit survives a power cut; concurrent event appends
/// share one commit, see <see cref="AppendEvents"/>) or NORMAL (<see cref="SqliteStoreOptions.Durability"/>:
/// durable across process crashes; a power cut may lose the last commits, never corrupt the file), foreign keys on. Users and items get dense integer keys inside the
/// file; events are rows (seq, user_id, item_id, kind, ts, value, session, query, prev_seq) with
/// seq the arrival order and prev_seq the same user's previous event (see <see cref="EventAppender"/>).
/// PRAGMA foreign_keys is on, but event rows carry keys the store itself resolved in the same
/// transaction and declare no REFERENCES (checking them cost 28% of insert throughput). External
/// id → key maps stay in memory between appends and are dropped on rollback or when another
/// connection commits (PRAGMA data_version). One writing connection per store; calls on it are serialized by a
/// lock. The request path's reads (a user's recent events and linked users) go to a few read connections
/// beside it (<see cref="ReadConnections"/>), so a cache miss does not queue behind writes and other reads.
/// PRAGMA secure_delete is on, so freed space is zeroed and a deleted user leaves no bytes behind
/// (bench/results/pseudonymize.md measures what it costs an import).
/// </summary>
public sealed partial class SqliteStore : IMerxStore
{
    private readonly SqliteConnection _db;
    private readonly sqlite3 _handle;
    private readonly SqliteStoreOptions _options;
    private readonly Lock _gate = new();
    private readonly KeyCache _users, _items;
    private readonly EventAppender _appender;
    private readonly UserChainReader _chain;
    private readonly UserLinkReader _links;
    private readonly ReadConnections _readers;
    private sqlite3_stmt? _dataVersion;
    private long _knownDataVersion = -1;
    private bool _disposed;

    static SqliteStore() => Batteries_V2.Init();

    private SqliteStore(SqliteConnection db, string path, SqliteStoreOptions options)
    {
        _db = db;
        _handle = db.Handle ?? throw new InvalidOperationException("the SQLite connection has no handle");
        _options = options;
        Path = path;
        _users = new KeyCache(_handle, "users", "last_seq");
        _items = new KeyCache(_handle, "items", "NULL");
        _appender = new EventAppender(_handle, _users, _items);
        _chain = new UserChainReader(_handle);
        _links = new UserLinkReader(_handle);
        _readers = new ReadConnections(db.ConnectionString, options);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public int SchemaVersion { get; private set; }

    /// <summary>The schema version this build creates and understands.</summary>
    public static int LatestSchemaVersion => SqliteMigrations.Latest;

    /// <summary>
    /// Opens (creating when missing, with its folder) the store at <paramref name="path"/> and
    /// applies pending migrations. Throws <see cref="NotSupportedException"/> for a file written by
    /// a newer schema, and <see cref="InvalidDataException"/> for a file that is not a SQLite database.
    /// </summary>
    public static SqliteStore Open(string path, SqliteStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SqliteStoreOptions();
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var cs = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        var db = new SqliteConnection(cs);
        SqliteStore? store = null;
        try
        {
            db.Open();
            store = new SqliteStore(db, full, options);
            store.Configure();
            store.SchemaVersion = SqliteMigrations.Apply(db, full);
            return store;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == raw.SQLITE_NOTADB)
        {
            Close(store, db);
            throw new InvalidDataException($"'{full}' is not a Merx store (not a SQLite database)", e);
        }
        catch
        {
            Close(store, db);
            throw;
        }
    }

    private static void Close(SqliteStore? store, SqliteConnection db)
    {
        if (store is not null) store.Dispose();
        else db.Dispose();
    }

    private void Configure()
    {
        var mode = Scalar("PRAGMA journal_mode=WAL")?.ToString();
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"could not switch '{Path}' to WAL journal mode (got '{mode}')");
        RawSql.Exec(_handle, $"""
            PRAGMA synchronous={(_options.Durability == Durability.Full ? "FULL" : "NORMAL")};
            PRAGMA secure_delete={(_options.SecureDelete ? "ON" : "OFF")};
            PRAGMA foreign_keys=ON;
            PRAGMA busy_timeout={(long)_options.BusyTimeout.TotalMilliseconds};
            PRAGMA temp_store=MEMORY;
            PRAGMA cache_size=-{_options.CacheSizeKiB};
            PRAGMA journal_size_limit={64L << 20};
            """);
    }

    /// <summary>
    /// Starts a write transaction and drops the id caches when another connection committed since
    /// this one last looked (PRAGMA data_version changes only for other connections' commits).
    /// </summary>
    private SqliteTransaction BeginWrite()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var tx = _db.BeginTransaction(deferred: false);
        _dataVersion ??= RawSql.Prepare(_handle, "PRAGMA data_version");
        raw.sqlite3_step(_dataVersion);
        var version = raw.sqlite3_column_int64(_dataVersion, 0);
        raw.sqlite3_reset(_dataVersion);
        if (version != _knownDataVersion)
        {
            _users.Clear();
            _items.Clear();
            _knownDataVersion = version;
        }
        return tx;
    }

    private void CacheCouldBeWrong()
    {
        _users.Clear();
        _items.Clear();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private object? Scalar(string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(sql, tx);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        var result = cmd.ExecuteScalar();
        return result is DBNull ? null : result;
    }

    private int NonQuery(string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(sql, tx);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _readers.Dispose();
            _appender.Dispose();
            _chain.Dispose();
            _links.Dispose();
            _dataVersion?.Dispose();
            _users.Dispose();
            _items.Dispose();
            DisposeFeed();
            _db.Dispose();
        }
    }
}
