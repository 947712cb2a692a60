namespace Merx.Storage.Sqlite;

/// <summary>Tuning knobs of <see cref="SqliteStore"/>; the defaults suit both the server and bulk imports.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>How long a writer waits for another process's lock before failing (PRAGMA busy_timeout).</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>SQLite page cache per connection, in KiB (PRAGMA cache_size = -N).</summary>
    public int CacheSizeKiB { get; init; } = 64 * 1024;

    /// <summary>
    /// Read connections beside the writing one for the request path's reads (a user's recent events and linked
    /// users); 0 sends every read through the writing connection and its lock. Opened on first use.
    /// </summary>
    public int ReadConnections { get; init; } = 2 * Environment.ProcessorCount;

    /// <summary>SQLite page cache per read connection, in KiB (the operating system's page cache is shared by all).</summary>
    public int ReadCacheSizeKiB { get; init; } = 16 * 1024;

    /// <summary>Most external ids kept in memory per kind (user, item) between appends; an append that starts past it starts the cache over.</summary>
    public int KeyCacheLimit { get; init; } = 4_000_000;

    /// <summary>
    /// PRAGMA secure_delete: deleted and freed content is overwritten with zeros, so a forgotten user
    /// leaves no bytes in free pages (issue #7). Off only to measure what it costs (bench
    /// <c>ingest-privacy</c>); a store that deletes users must keep it on.
    /// </summary>
    public bool SecureDelete { get; init; } = true;

    /// <summary>PRAGMA synchronous: FULL (the default) syncs every commit, so an acknowledged write survives a power cut; see <see cref="Storage.Durability"/>.</summary>
    public Durability Durability { get; init; } = Durability.Full;
}
