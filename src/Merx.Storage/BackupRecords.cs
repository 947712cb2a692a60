namespace Merx.Storage;

/// <summary>
/// How far a backup or restore copy has come, reported between chunks so a host can show progress
/// for a large store (the copy of a 1M-event store takes seconds; see bench/results/trust.md).
/// </summary>
/// <param name="PagesCopied">Database pages copied so far.</param>
/// <param name="PagesTotal">Pages in the snapshot being copied.</param>
/// <param name="PageSize">Bytes per page.</param>
public readonly record struct BackupProgress(long PagesCopied, long PagesTotal, int PageSize)
{
    public long BytesCopied => PagesCopied * PageSize;

    public long BytesTotal => PagesTotal * PageSize;
}

/// <summary>What a finished backup or restore put in place (already checked, synced and renamed).</summary>
/// <param name="Path">The full path of the file written.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="SchemaVersion">The schema version it holds.</param>
/// <param name="Elapsed">Wall time of the whole operation, checks included.</param>
public sealed record BackupResult(string Path, long Bytes, int SchemaVersion, TimeSpan Elapsed);
