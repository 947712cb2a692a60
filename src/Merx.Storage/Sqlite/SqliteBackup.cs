using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// Online backup and restore of a SQLite store file; both are one operation, a checked copy put in place.
/// The copy goes through SQLite's backup API in chunks of pages, all inside one read transaction on the
/// source: in WAL mode a reader never blocks the writer, so a server on the same file keeps serving and
/// writing meanwhile, and the one read transaction makes the copy the snapshot of the moment it began
/// (a commit made during the copy is wholly out of it; without the transaction every such commit would
/// restart the copy from page one). The copy is written beside the target as <c>TARGET.tmp</c>, checked
/// (<c>PRAGMA integrity_check</c>, a Merx schema no newer than this build), turned into one
/// self-contained file (rollback journal, no <c>-wal</c>), synced, and renamed over the target, so the
/// target's name only ever holds a complete, checked store. An existing target is replaced only when
/// asked, only when it is a SQLite file, and only when no other connection has it open (a running server
/// would go on writing to the replaced file); its stale <c>-wal</c>, <c>-shm</c> and <c>-journal</c> go
/// with it, because SQLite would replay them into the new file.
/// </summary>
public static class SqliteBackup
{
    /// <summary>Pages per backup step: 4 MiB at the default 4 KiB page, so progress comes every few tens of milliseconds.</summary>
    public const int DefaultPagesPerStep = 1024;

    /// <summary>The tables every Merx schema version has; a SQLite file without them is not a Merx store.</summary>
    private static readonly string[] MerxTables = ["schema_version", "meta", "users", "items", "events", "models"];

    private static readonly string[] Companions = ["-wal", "-shm", "-journal"];

    /// <summary>How long a chunk may keep getting SQLITE_BUSY before the copy gives up (a source in rollback mode mid-write).</summary>
    private static readonly TimeSpan BusyLimit = TimeSpan.FromSeconds(30);

    static SqliteBackup() => Batteries_V2.Init();

    /// <summary>
    /// Copies the store at <paramref name="store"/> (which a server may be using) to <paramref name="output"/>.
    /// Throws <see cref="FileNotFoundException"/> for a missing store, <see cref="InvalidDataException"/> for a
    /// file that is not a Merx store (or is from a newer Merx) or a copy that fails its check,
    /// <see cref="IOException"/> when <paramref name="output"/> exists and <paramref name="overwrite"/> is off,
    /// is open elsewhere or cannot be written.
    /// <paramref name="progress"/> is called synchronously after every chunk of <paramref name="pagesPerStep"/> pages.
    /// </summary>
    public static BackupResult Backup(string store, string output, bool overwrite = false, IProgress<BackupProgress>? progress = null, int pagesPerStep = DefaultPagesPerStep) =>
        CopyInPlace(store, output, overwrite, progress, pagesPerStep, "store");

    /// <summary>
    /// Replaces (or creates) the store at <paramref name="store"/> with a copy of the backup <paramref name="backup"/>,
    /// after checking it; throws like <see cref="Backup"/>, and <see cref="IOException"/> when the existing store is
    /// open in another connection (stop the server first).
    /// </summary>
    public static BackupResult Restore(string backup, string store, bool overwrite = false, IProgress<BackupProgress>? progress = null, int pagesPerStep = DefaultPagesPerStep) =>
        CopyInPlace(backup, store, overwrite, progress, pagesPerStep, "backup");

    private static BackupResult CopyInPlace(string from, string to, bool overwrite, IProgress<BackupProgress>? progress, int pagesPerStep, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        ArgumentOutOfRangeException.ThrowIfLessThan(pagesPerStep, 1);
        var clock = Stopwatch.StartNew();
        var (source, target) = (Path.GetFullPath(from), Path.GetFullPath(to));
        if (!File.Exists(source)) throw new FileNotFoundException($"no {what} at {from}", from);
        if (source == target) throw new ArgumentException($"{to} is the {what} being copied: give another file");
        if (Directory.Exists(target)) throw new IOException($"{to} is a folder: give a file name");
        if (File.Exists(target) && !overwrite) throw new IOException($"{to} already exists: refusing to replace it (--force replaces it)");
        if (File.Exists(target)) CheckNotInUse(target, to);   // before the copy, not only before the rename: a refusal should not cost a whole copy

        string temp;
        int version;
        using (var sourceDb = Open(source, SqliteOpenMode.ReadWrite))
        {
            var handle = sourceDb.Handle!;
            RawSql.Exec(handle, "PRAGMA busy_timeout=10000; BEGIN");
            try
            {
                Inspect(sourceDb, from);   // the first read: the snapshot the copy will hold starts here
                (temp, version) = CopyChecked(handle, target, to, progress, pagesPerStep);
            }
            finally
            {
                if (raw.sqlite3_get_autocommit(handle) == 0) RawSql.Exec(handle, "COMMIT");   // a failed read may have ended it
            }
        }
        PutInPlace(temp, target, to);
        return new BackupResult(target, new FileInfo(target).Length, version, clock.Elapsed);
    }

    /// <summary>Checks that <paramref name="db"/> is a Merx store this build understands; returns its schema version.</summary>
    private static int Inspect(SqliteConnection db, string name)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'table'";
            using var r = cmd.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == raw.SQLITE_NOTADB)
        {
            throw new InvalidDataException($"'{name}' is not a Merx store (not a SQLite database)", e);
        }
        if (MerxTables.FirstOrDefault(t => !tables.Contains(t)) is { } missing)
            throw new InvalidDataException($"'{name}' is a SQLite database but not a Merx store (it has no '{missing}' table)");
        var version = SqliteMigrations.Current(db);
        if (version > SqliteMigrations.Latest) throw new InvalidDataException(SqliteMigrations.TooNew(name, version));
        if (version < 1) throw new InvalidDataException($"'{name}' is not a Merx store (no schema version recorded)");
        return version;
    }

    /// <summary>Copies into <c>TARGET.tmp</c>, checks the copy, leaves it a synced single file; returns it with its schema version.</summary>
    private static (string Temp, int Version) CopyChecked(sqlite3 source, string target, string name, IProgress<BackupProgress>? progress, int pagesPerStep)
    {
        var temp = target + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            DeleteWithCompanions(temp);   // left by an interrupted run
            File.Create(temp).Dispose();  // a clear error for an unwritable place, before SQLite's "unable to open database file"
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {name}: {e.Message}", e);
        }
        try
        {
            int version;
            using (var copy = Open(temp, SqliteOpenMode.ReadWrite))
            {
                Copy(source, copy.Handle!, progress, pagesPerStep);
                CheckIntegrity(copy, name);
                version = Inspect(copy, name);
                RawSql.Exec(copy.Handle!, "PRAGMA journal_mode=DELETE");   // the source's WAL flag came with page 1
            }
            FileDurability.FlushFile(temp);
            return (temp, version);
        }
        catch
        {
            DeleteWithCompanions(temp);
            throw;
        }
    }

    private static void Copy(sqlite3 source, sqlite3 copy, IProgress<BackupProgress>? progress, int pagesPerStep)
    {
        var pageSize = (int)RawSql.ScalarInt64(source, "PRAGMA page_size");
        using var backup = raw.sqlite3_backup_init(copy, "main", source, "main");
        if (backup is null || backup.IsInvalid) RawSql.Fail(copy, raw.sqlite3_errcode(copy), "starting the backup");
        var busy = Stopwatch.StartNew();
        while (true)
        {
            var rc = raw.sqlite3_backup_step(backup, pagesPerStep);
            if (rc is raw.SQLITE_OK or raw.SQLITE_DONE)
            {
                var total = raw.sqlite3_backup_pagecount(backup);
                progress?.Report(new BackupProgress(total - raw.sqlite3_backup_remaining(backup), total, pageSize));
                if (rc == raw.SQLITE_DONE) break;
                busy.Restart();
            }
            else if (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && busy.Elapsed < BusyLimit)
            {
                Thread.Sleep(10);
            }
            else
            {
                raw.sqlite3_backup_finish(backup);
                RawSql.Fail(copy, rc, "copying the store");
            }
        }
        var finished = raw.sqlite3_backup_finish(backup);
        if (finished != raw.SQLITE_OK) RawSql.Fail(copy, finished, "finishing the backup");
    }

    private static void CheckIntegrity(SqliteConnection db, string name)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA integrity_check(20)";
        using var r = cmd.ExecuteReader();
        var problems = new List<string>();
        while (r.Read()) problems.Add(r.GetString(0));
        if (problems is not ["ok"])
            throw new InvalidDataException($"the copy for {name} failed SQLite's integrity check: {string.Join("; ", problems)}");
    }

    /// <summary>
    /// Renames <paramref name="temp"/> over <paramref name="target"/> and syncs the folder. An existing target
    /// must be a SQLite file that no other connection holds: an exclusive lock is taken (and given back) first,
    /// and refused at once when a server has the file open.
    /// </summary>
    private static void PutInPlace(string temp, string target, string name)
    {
        try
        {
            if (File.Exists(target)) CheckNotInUse(target, name);
            foreach (var suffix in Companions) File.Delete(target + suffix);
            File.Move(temp, target, overwrite: true);
            FileDurability.FlushDirectory(Path.GetDirectoryName(target)!);
        }
        catch
        {
            DeleteWithCompanions(temp);
            throw;
        }
    }

    private static void CheckNotInUse(string target, string name)
    {
        using var db = Open(target, SqliteOpenMode.ReadWrite);
        var handle = db.Handle!;
        RawSql.Exec(handle, "PRAGMA busy_timeout=0; PRAGMA locking_mode=EXCLUSIVE");
        try
        {
            // An exclusive lock on the file: in WAL mode every open connection holds a shared lock on it.
            RawSql.Exec(handle, "BEGIN EXCLUSIVE");
            RawSql.ScalarInt64(handle, "SELECT COUNT(*) FROM sqlite_schema");
            RawSql.Exec(handle, "COMMIT");
        }
        catch (SqliteException e) when (e.SqliteErrorCode == raw.SQLITE_NOTADB)
        {
            throw new InvalidDataException($"{name} exists and is not a SQLite database: refusing to replace it (move it away first)", e);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is raw.SQLITE_BUSY or raw.SQLITE_LOCKED)
        {
            throw new IOException($"{name} is open in another process (a running 'merx serve'?): stop it, then run this again", e);
        }
    }

    private static void DeleteWithCompanions(string path)
    {
        File.Delete(path);
        foreach (var suffix in Companions) File.Delete(path + suffix);
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        db.Open();
        return db;
    }
}
