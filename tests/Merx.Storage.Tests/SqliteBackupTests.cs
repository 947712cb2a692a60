using System.Security.Cryptography;
using Merx.Core.Domain;
using Merx.Storage.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>
/// Issue 20, backups: an online backup of a store in use restores to the same store (counts, models, settings,
/// served lists, the data set a model trains on), a backup taken while another connection keeps appending holds
/// whole transactions only, and a restore never lets another connection's file or a stale log into the result.
/// </summary>
public sealed class SqliteBackupTests : IDisposable
{
    private const string KeySetting = "pseudonym_key";   // PseudonymKeys.FingerprintSetting (Merx.Service)
    private readonly SqliteBackend _files = new();

    public void Dispose() => _files.Dispose();

    private static SqliteStore Filled(string path)
    {
        var store = SqliteStore.Open(path);
        store.UpsertItems(StoreSamples.Catalog(12));
        store.UpsertUsers(StoreSamples.Profiles("u0", "u1", "u2"));
        store.AppendEvents(StoreSamples.Events(700, 1));
        var payload = new byte[50_000];
        new Random(5).NextBytes(payload);
        store.PublishModel("itemknn", [1, 2, 3], """{"ndcg@10":0.1}""");
        store.PublishModel("sasrec", payload, """{"ndcg@10":0.2}""");
        store.RecordServed([StoreSamples.Served("r1", "u1"), StoreSamples.Served("r2", "u2", "exp:A")]);
        store.RecordFeedback([new FeedbackRecord("r2", "u2", "i2", EventKind.Click, DateTimeOffset.FromUnixTimeSeconds(1_700_000_100))]);
        store.ClaimSetting(KeySetting, "v1:3f9a0c");
        store.PutState("bandit:posterior", [9, 8, 7]);
        return store;
    }

    private static void AssertSameStats(StoreStats expected, StoreStats actual)
    {
        Assert.Equal((expected.Users, expected.Items, expected.Events, expected.UsersWithProfile, expected.ItemsInCatalog),
                     (actual.Users, actual.Items, actual.Events, actual.UsersWithProfile, actual.ItemsInCatalog));
        Assert.Equal(expected.EventsByKind, actual.EventsByKind);
    }

    [Fact]
    public void A_backup_of_a_store_in_use_restores_to_the_same_store()
    {
        var (path, backup, restoredPath) = (_files.NewPath(), _files.NewPath(), _files.NewPath());
        using var original = Filled(path);   // open while backed up: most of what it wrote is still in its -wal
        Assert.True(new FileInfo(path + "-wal").Length > 0);

        var result = SqliteBackup.Backup(path, backup);
        Assert.Equal(new FileInfo(backup).Length, result.Bytes);
        Assert.Equal(SqliteStore.LatestSchemaVersion, result.SchemaVersion);
        Assert.False(File.Exists(backup + ".tmp"));
        Assert.False(File.Exists(backup + "-wal"), "a backup is one self-contained file");
        SqliteBackup.Restore(backup, restoredPath);

        using var restored = SqliteStore.Open(restoredPath);
        AssertSameStats(original.GetStats(), restored.GetStats());
        Assert.Equal(700, restored.GetStats().Events);
        var latest = restored.LatestModel();
        Assert.Equal(original.LatestModel(), latest);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(original.ReadModelPayload(latest!.Version))), Convert.ToHexStringLower(SHA256.HashData(restored.ReadModelPayload(latest.Version))));
        Assert.Equal(original.ListModels(), restored.ListModels());
        Assert.Equal("v1:3f9a0c", restored.GetSetting(KeySetting));
        Assert.Equal(new byte[] { 9, 8, 7 }, restored.GetState("bandit:posterior"));
        Assert.Equal(original.GetServed("r2")!.Items, restored.GetServed("r2")!.Items);
        Assert.Equal(original.FeedbackCounts(), restored.FeedbackCounts());
        StoreSamples.AssertSameDataset(original.LoadDataset(), restored.LoadDataset());
        // It serves and takes writes where the original left off.
        Assert.Equal(original.RecentEvents("u1", 20), restored.RecentEvents("u1", 20));
        var next = restored.AppendEvents([new RawEvent("u1", "i1", EventKind.Purchase, 1_800_000_000)]);
        Assert.Equal(701, next.FirstSequence);
        Assert.Equal("ok", StoreFile.Sql(restoredPath, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task A_backup_taken_while_another_connection_appends_holds_the_store_as_it_was_when_it_began()
    {
        const int BatchSize = 10, Batches = 40;
        var (path, backup) = (_files.NewPath(), _files.NewPath());
        using var store = SqliteStore.Open(path);
        store.UpsertItems(StoreSamples.Catalog(200));
        for (var b = 0; b < 30; b++) store.AppendEvents(StoreSamples.Events(BatchSize, b, userPrefix: $"b{b}-"));
        var before = store.GetStats().Events;

        using var writer = SqliteStore.Open(path);
        using var started = new ManualResetEventSlim();
        using var committed = new SemaphoreSlim(0);
        var written = 0;
        var appender = Task.Run(() =>
        {
            started.Wait();
            for (var b = 0; b < Batches; b++)
            {
                writer.AppendEvents(StoreSamples.Events(BatchSize, 100 + b, userPrefix: $"w{b}-"));
                Interlocked.Increment(ref written);
                committed.Release();
            }
        });
        var duringCopy = 0;
        var progress = new Inline(p =>
        {
            // Between chunks of one page: let the other connection commit a batch before the next chunk (a generous wait:
            // on a loaded machine one commit has taken over 10 s).
            started.Set();
            if (Volatile.Read(ref written) < Batches && p.PagesCopied < p.PagesTotal && committed.Wait(TimeSpan.FromMinutes(2))) duringCopy++;
        });
        SqliteBackup.Backup(path, backup, progress: progress, pagesPerStep: 1);
        await appender;
        var after = store.GetStats().Events;

        Assert.True(duringCopy >= 10, $"only {duringCopy} commits happened during the copy");
        Assert.Equal(before + Batches * BatchSize, after);
        var copied = (long)StoreFile.Sql(backup, "SELECT COUNT(*) FROM events")!;
        // The copy is one read transaction's snapshot: exactly the events committed before it began, although
        // the writer committed between its chunks (a copy restarted by each commit would hold more, or never end).
        Assert.Equal(before, copied);
        Assert.Equal("ok", StoreFile.Sql(backup, "PRAGMA integrity_check"));
        Assert.Equal(0L, StoreFile.Sql(backup, "SELECT COUNT(*) FROM users WHERE last_seq IS NOT NULL AND last_seq NOT IN (SELECT seq FROM events)"));
        Assert.Equal(0L, StoreFile.Sql(backup, "SELECT COUNT(*) FROM users WHERE ext_id LIKE 'w%'"));
    }

    [Fact]
    public void A_restore_over_a_store_another_connection_holds_is_refused_and_changes_nothing()
    {
        var (source, backup, target) = (_files.NewPath(), _files.NewPath(), _files.NewPath());
        Filled(source).Dispose();
        SqliteBackup.Backup(source, backup);
        var server = SqliteStore.Open(target);
        server.AppendEvents(StoreSamples.Events(5, 9));

        var e = Assert.Throws<IOException>(() => SqliteBackup.Restore(backup, target, overwrite: true));
        Assert.Contains("open in another process", e.Message);
        Assert.Equal(5, server.GetStats().Events);
        Assert.False(File.Exists(target + ".tmp"));
        server.Dispose();

        SqliteBackup.Restore(backup, target, overwrite: true);
        using var restored = SqliteStore.Open(target);
        Assert.Equal(700, restored.GetStats().Events);
    }

    [Fact]
    public void A_restore_removes_a_stale_write_ahead_log_left_beside_the_target()
    {
        var (source, backup, other, target) = (_files.NewPath(), _files.NewPath(), _files.NewPath(), _files.NewPath());
        Filled(source).Dispose();
        SqliteBackup.Backup(source, backup);
        using (var o = SqliteStore.Open(other))
        {
            o.AppendEvents(StoreSamples.Events(300, 4, userPrefix: "x"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(other + "-wal", target + "-wal");   // a log SQLite would replay into whatever file is named 'target'
        }

        SqliteBackup.Restore(backup, target);
        Assert.False(File.Exists(target + "-wal"));
        Assert.Equal("ok", StoreFile.Sql(target, "PRAGMA integrity_check"));
        using var restored = SqliteStore.Open(target);
        Assert.Equal(700, restored.GetStats().Events);
        Assert.Empty(restored.RecentEvents("x0", 10));
    }

    [Fact]
    public void A_store_or_backup_from_a_newer_Merx_is_refused()
    {
        var (path, backup) = (_files.NewPath(), _files.NewPath());
        SqliteStore.Open(path).Dispose();
        StoreFile.Sql(path, $"INSERT INTO schema_version(version, applied_at) VALUES({SqliteStore.LatestSchemaVersion + 1}, 'future')");
        var e = Assert.Throws<InvalidDataException>(() => SqliteBackup.Backup(path, backup));
        Assert.Contains($"schema version {SqliteStore.LatestSchemaVersion + 1}, newer than this Merx understands", e.Message);
        Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(path, backup));
        Assert.False(File.Exists(backup));
        Assert.False(File.Exists(backup + ".tmp"));
    }

    /// <summary>A progress sink called on the copying thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class Inline(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }
}
