using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>
/// The PostgreSQL backend (issue 18): the system of record for a shop that runs several processes
/// (server replicas, a training worker) over one database. Same roles and contract as
/// <see cref="Sqlite.SqliteStore"/>; the differences are where PostgreSQL is stronger: events are
/// partitioned by month of their timestamp and written by binary COPY, appenders from any process are
/// serialized by one row lock (so sequence numbers stay contiguous per batch and in commit order),
/// calls run concurrently on pooled connections (no process-wide lock), and changes other processes
/// must see at once (user deletions and renames, model publications, appended events) are announced
/// with NOTIFY (see <see cref="PostgresStore"/>'s change listener). Dense integer keys stay inside the
/// database, as in SQLite. The password comes from the URL or PGPASSWORD and is never part of a message.
/// </summary>
public sealed partial class PostgresStore : IMerxStore, IStoreChangeSignals
{
    private readonly NpgsqlDataSource _source;
    private readonly PostgresStoreOptions _options;
    private readonly string _where, _connectionString;
    private readonly long _lockSalt;
    private volatile bool _disposed;

    private PostgresStore(NpgsqlDataSource source, string connectionString, PostgresStoreOptions options, string where)
    {
        _source = source;
        _connectionString = connectionString;
        _options = options;
        _where = where;
        _partitions = new EventPartitions();
        _lockSalt = LockSalt(options.Schema);
    }

    public int SchemaVersion { get; private set; }

    /// <summary>The schema version this build creates and understands.</summary>
    public static int LatestSchemaVersion => PostgresMigrations.Latest;

    /// <summary>Where the store lives, without the password (for messages and logs).</summary>
    public string Location => _where;

    /// <summary>
    /// Opens the store in <paramref name="location"/>'s database (created when missing, as SQLite creates
    /// its file), creating the schema and applying pending migrations. A database that cannot be reached is
    /// an <see cref="IOException"/> naming the location without its password.
    /// </summary>
    public static PostgresStore Open(PostgresLocation location, PostgresStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        options ??= new PostgresStoreOptions();
        var where = options.Schema == "public" ? location.ToString() : $"{location} (schema {options.Schema})";
        var builder = ConnectionString(location, options);
        try
        {
            EnsureDatabase(location, builder);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw Unreachable(where, e);
        }
        var source = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        var store = new PostgresStore(source, builder.ConnectionString, options, where);
        try
        {
            using (var c = store.Connect())
            {
                if (options.Schema != "public") Exec(c, null, $"CREATE SCHEMA IF NOT EXISTS {Ident(options.Schema)}");
                store.SchemaVersion = PostgresMigrations.Apply(c, where, options.Schema);
            }
            store.PrepareCurrentPartitions();
            return store;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            store.Dispose();
            throw Unreachable(where, e);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static IOException Unreachable(string where, Exception e) =>
        new($"cannot open the PostgreSQL store {where}: {Redact(e.Message)}", e);

    /// <summary>Npgsql's own messages do not carry the password; this keeps it so should one ever quote a connection string.</summary>
    private static string Redact(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"(?i)(password\s*=\s*)[^;]*", "$1***");

    /// <summary>The Npgsql connection settings a location opens with (they hold the password: never print them).</summary>
    public static NpgsqlConnectionStringBuilder ConnectionString(PostgresLocation location, PostgresStoreOptions options)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = location.Host,
            Port = location.Port,
            Username = location.User,
            Database = location.Database,
            SearchPath = options.Schema,
            MaxPoolSize = options.MaxPoolSize,
            MaxAutoPrepare = options.MaxAutoPrepare,
            CommandTimeout = options.CommandTimeoutSeconds,
            Timeout = 10,
            ApplicationName = "merx",
            NoResetOnClose = false,
        };
        // Without a password in the URL, Npgsql reads PGPASSWORD (and ~/.pgpass) itself.
        if (location.Password is not null) b.Password = location.Password;
        return b;
    }

    /// <summary>Creates the database when the server says it does not exist (SQLSTATE 3D000), through the maintenance database.</summary>
    private static void EnsureDatabase(PostgresLocation location, NpgsqlConnectionStringBuilder builder)
    {
        try
        {
            using var probe = new NpgsqlConnection(builder.ConnectionString);
            probe.Open();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            var admin = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Database = "postgres", SearchPath = null, Pooling = false };
            using var c = new NpgsqlConnection(admin.ConnectionString);
            c.Open();
            try { Exec(c, null, $"CREATE DATABASE {Ident(location.Database)}"); }
            catch (PostgresException race) when (race.SqlState == PostgresErrorCodes.DuplicateDatabase) { }
        }
    }

    /// <summary>A double-quoted SQL identifier.</summary>
    internal static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private NpgsqlConnection Connect()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _source.OpenConnection();
    }

    private static int Exec(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var result = cmd.ExecuteScalar();
        return result is DBNull ? null : result;
    }

    /// <summary>A command with positional parameters $1, $2, … (null binds SQL NULL).</summary>
    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] args)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var a in args) cmd.Parameters.Add(a is NpgsqlParameter p ? p : new NpgsqlParameter { Value = a ?? DBNull.Value });
        return cmd;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        StopListening();
        _source.Dispose();
    }
}

public sealed partial class PostgresStore
{
    /// <summary>
    /// <paramref name="key"/> scoped to <paramref name="schema"/>. Advisory locks are database-wide, so two shops
    /// (or two test runs) in separate schemas of one database would otherwise serialize each other's appends,
    /// migrations and training. The public schema keeps the bare key, the one earlier versions take, so replicas
    /// of both versions still exclude each other during a rolling upgrade.
    /// </summary>
    internal static long ScopedLockKey(long key, string schema) => key ^ LockSalt(schema);

    private static long LockSalt(string schema) =>
        schema == "public" ? 0 : BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(schema)));

    private long Scoped(long key) => key ^ _lockSalt;

    /// <summary>
    /// Takes the session-level advisory lock <paramref name="key"/> on a connection of its own, without waiting:
    /// the lease, or null when another session (any process) holds it. The lock goes with the lease's connection:
    /// disposing it, or the process dying, releases it (the server notices the closed socket).
    /// </summary>
    public IDisposable? TryAdvisoryLock(long key)
    {
        var cs = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false, KeepAlive = 5 };
        var c = new NpgsqlConnection(cs.ConnectionString);
        try
        {
            c.Open();
            if (Scalar(c, null, $"SELECT pg_try_advisory_lock({Scoped(key)})") is true) return c;
            c.Dispose();
            return null;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }
}
