namespace Merx.Storage.Postgres;

/// <summary>Settings of a <see cref="PostgresStore"/>.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>The schema the store's tables live in (created when missing). Tests give each store a schema of its own.</summary>
    public string Schema { get; init; } = "public";

    /// <summary>Most pooled connections one process opens (Npgsql's Maximum Pool Size).</summary>
    public int MaxPoolSize { get; init; } = 32;

    /// <summary>Seconds a statement may run before it is cancelled (bulk reads and writes of whole stores are not limited).</summary>
    public int CommandTimeoutSeconds { get; init; } = 30;

    /// <summary>Events written per binary COPY in <see cref="PostgresStore.AppendEvents"/> (keys are resolved once per chunk).</summary>
    public int AppendChunk { get; init; } = 50_000;
}
