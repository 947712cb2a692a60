using Merx.Core.Domain;
using Merx.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>
/// What only the SQLite backend has (the file, WAL, migrations, the per-user event chains, several
/// stores on one file); the behaviour every backend shares is in the role suites (<c>SqliteContractTests.cs</c>).
/// </summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly SqliteBackend _files = new();

    public void Dispose() => _files.Dispose();

    private string NewPath() => _files.NewPath();

    private static SqliteConnection Raw(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    [Fact]
    public void Open_CreatesTheFileAndFolder_InWalMode()
    {
        var path = NewPath();
        using (var store = SqliteStore.Open(path)) Assert.Equal(SqliteStore.LatestSchemaVersion, store.SchemaVersion);
        Assert.True(File.Exists(path));
        using var c = Raw(path);
        Assert.Equal("wal", Scalar(c, "PRAGMA journal_mode"));
        Assert.Equal((long)SqliteStore.LatestSchemaVersion, Scalar(c, "SELECT MAX(version) FROM schema_version"));
    }

    [Fact]
    public void Open_RefusesAFileFromANewerSchema()
    {
        var path = NewPath();
        SqliteStore.Open(path).Dispose();
        using (var c = Raw(path)) Scalar(c, $"INSERT INTO schema_version(version, applied_at) VALUES({SqliteStore.LatestSchemaVersion + 1}, 'future')");
        var e = Assert.Throws<NotSupportedException>(() => SqliteStore.Open(path));
        Assert.Contains("newer", e.Message);
        Assert.Contains($"schema version {SqliteStore.LatestSchemaVersion + 1}", e.Message);
    }

    [Fact]
    public void Open_RejectsAFileThatIsNotADatabase()
    {
        var path = NewPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, new string('x', 4096));
        Assert.Throws<InvalidDataException>(() => SqliteStore.Open(path));
    }

    [Fact]
    public void EachUsersChain_CoversExactlyTheirEvents_AfterAppendsRollbacksAndDeletes()
    {
        var path = NewPath();
        using var store = SqliteStore.Open(path);
        Assert.Throws<InvalidOperationException>(() => store.AppendEvents(StoreSamples.ThenThrow(StoreSamples.Events(5, 1), new InvalidOperationException())));
        store.AppendEvents(StoreSamples.Events(130, 1));
        store.AppendEvents(StoreSamples.Events(70, 2));
        store.DeleteUser("u4");
        store.AppendEvents(StoreSamples.Events(3, 3));
        using var c = Raw(path);
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check"));
        var mismatched = Scalar(c, """
            WITH RECURSIVE chain(user_id, seq) AS (
                SELECT id, last_seq FROM users WHERE last_seq IS NOT NULL
                UNION ALL
                SELECT chain.user_id, e.prev_seq FROM events e JOIN chain ON e.seq = chain.seq WHERE e.prev_seq IS NOT NULL),
            walked AS (SELECT user_id, COUNT(*) n, MIN(seq) lo FROM chain GROUP BY user_id),
            stored AS (SELECT user_id, COUNT(*) n, MIN(seq) lo FROM events GROUP BY user_id)
            SELECT COUNT(*) FROM stored s LEFT JOIN walked w ON w.user_id = s.user_id WHERE w.n IS NOT s.n OR w.lo IS NOT s.lo
            """);
        Assert.Equal(0L, mismatched);
        Assert.True((long)Scalar(c, "SELECT COUNT(DISTINCT user_id) FROM events")! >= 6);
    }

    [Fact]
    public void CorruptModelPayload_IsDetected()
    {
        var path = NewPath();
        using var store = SqliteStore.Open(path);
        var v = store.PublishModel("m", [1, 2, 3], "{}");
        using (var c = Raw(path)) Scalar(c, $"UPDATE models SET payload = x'010204' WHERE version = {v}");
        Assert.Throws<InvalidDataException>(() => store.ReadModelPayload(v));
        // A chunked payload: a changed chunk, and a missing one, are detected when read.
        var keep = ModelChunks.ChunkBytes;
        try
        {
            ModelChunks.ChunkBytes = 16;
            var chunked = store.PublishModel("m", Enumerable.Range(0, 40).Select(i => (byte)i).ToArray(), "{}");
            Assert.Equal(40, store.ReadModelPayload(chunked).Length);
            using (var c = Raw(path)) Scalar(c, $"UPDATE model_chunks SET bytes = x'00000000000000000000000000000000' WHERE version = {chunked} AND seq = 1");
            Assert.Contains("SHA-256", Assert.Throws<InvalidDataException>(() => store.ReadModelPayload(chunked)).Message);
            using (var c = Raw(path)) Scalar(c, $"DELETE FROM model_chunks WHERE version = {chunked} AND seq = 2");
            Assert.Contains("missing", Assert.Throws<InvalidDataException>(() => store.ReadModelPayload(chunked)).Message);
        }
        finally { ModelChunks.ChunkBytes = keep; }
    }

    [Fact]
    public void TwoStoresOnOneFile_SeeEachOthersWrites()
    {
        var path = NewPath();
        using var a = SqliteStore.Open(path);
        using var b = SqliteStore.Open(path);
        a.AppendEvents([new("u1", "i1", EventKind.View, 1), new("u2", "i2", EventKind.View, 2)]);
        Assert.Equal(1, b.DeleteUser("u1"));
        b.AppendEvents([new("u3", "i3", EventKind.View, 3), new("u1", "i1", EventKind.Click, 4)]);
        var batch = a.AppendEvents([new("u1", "i1", EventKind.Purchase, 5), new("u3", "i3", EventKind.View, 6)]);
        Assert.Equal(0, batch.NewUsers);
        Assert.Equal(5, batch.FirstSequence);
        Assert.Equal([new RawEvent("u1", "i1", EventKind.Purchase, 5), new RawEvent("u1", "i1", EventKind.Click, 4)], a.RecentEvents("u1", 5));
        Assert.Equal(3, b.GetStats().Users);
    }
}
