using Merx.Storage.Sqlite;

namespace Merx.Storage;

/// <summary>Backup and restore from a <c>--db</c> value, dispatched by location like <see cref="Open"/>.</summary>
public static partial class MerxStores
{
    /// <summary>An online backup of the store <paramref name="db"/> names into the file <paramref name="output"/> (see <see cref="SqliteBackup.Backup"/>).</summary>
    public static BackupResult Backup(string db, string output, bool overwrite = false, IProgress<BackupProgress>? progress = null) => Locate(db) switch
    {
        SqliteLocation file => SqliteBackup.Backup(file.Path, output, overwrite, progress),
        PostgresLocation pg => throw new InvalidOperationException($"merx backup copies SQLite stores; back up the PostgreSQL store {pg} with the server's tools (pg_dump, or a base backup with WAL archiving)"),
        var other => throw new NotSupportedException($"no backend backs up {other.GetType().Name}"),
    };

    /// <summary>Restores the backup file <paramref name="backup"/> into the store <paramref name="db"/> names (see <see cref="SqliteBackup.Restore"/>).</summary>
    public static BackupResult Restore(string backup, string db, bool overwrite = false, IProgress<BackupProgress>? progress = null) => Locate(db) switch
    {
        SqliteLocation file => SqliteBackup.Restore(backup, file.Path, overwrite, progress),
        PostgresLocation pg => throw new InvalidOperationException($"merx restore writes SQLite stores; to move a SQLite backup into the PostgreSQL store {pg} use 'merx migrate --from BACKUP.db --to {pg}'"),
        var other => throw new NotSupportedException($"no backend restores {other.GetType().Name}"),
    };
}
