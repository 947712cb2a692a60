namespace Merx.Storage.Postgres;

/// <summary>Settings of a <see cref="PostgresStore"/>.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>The schema the store's tables live in (created when missing). Tests give each store a schema of its own.</summary>
    public string Schema { get; init; } = "public";

    /// <summary>Most pooled connections one process opens (Npgsql's Maximum Pool Size).</summary>
    public int MaxPoolSize { get; init; } = 32;

    /// <summary>
    /// Statements each pooled connection keeps prepared on the server (Npgsql's Max Auto Prepare; a statement is
    /// prepared at its fifth use and stays prepared across pool returns). A prepared statement skips parsing and
    /// planning, which over the monthly events partitions cost more than running it (the per-user history read:
    /// 2.3 ms to plan, 1.2 ms to run); prepared, the database's time per recommendation fell from 3.0 to 0.85 ms
    /// (`bench/results/scaleout.md`). 0 turns it off.
    /// </summary>
    public int MaxAutoPrepare { get; init; } = 64;

    /// <summary>Seconds a statement may run before it is cancelled (bulk reads and writes of whole stores are not limited).</summary>
    public int CommandTimeoutSeconds { get; init; } = 30;

    /// <summary>Events written per binary COPY in <see cref="PostgresStore.AppendEvents"/> (keys are resolved once per chunk).</summary>
    public int AppendChunk { get; init; } = 50_000;
}
