using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>
/// Model versions and the import log. Payloads are stored in the database (BYTEA, with their SHA-256
/// checked on every read), so a version and its bytes commit together: a worker killed mid-publish
/// leaves no version without a payload, and every replica reads the same bytes.
/// </summary>
public sealed partial class PostgresStore
{
    private const string ModelColumns = "version, name, created_at, sha256, metrics, size";

    public long PublishModel(string name, Action<Stream> writePayload, string metricsJson)
    {
        StoreChecks.ModelMetadata(name, metricsJson);
        ArgumentNullException.ThrowIfNull(writePayload);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        // The lock keeps version numbers in commit order, so "the newest version" never goes back.
        Exec(c, tx, "LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE");
        long version;
        using (var insert = Command(c, tx, "INSERT INTO models(name, created_at, sha256, metrics, size, payload) VALUES($1, now(), '', $2, 0, ''::bytea) RETURNING version", name, metricsJson))
            version = (long)insert.ExecuteScalar()!;
        using var chunk = Command(c, tx, "INSERT INTO model_chunks(version, seq, bytes) VALUES($1, $2, $3)",
            new NpgsqlParameter<long> { Value = version }, new NpgsqlParameter<int>(), new NpgsqlParameter<byte[]>());
        chunk.CommandTimeout = 0;
        using var writer = new ModelChunkWriter((seq, bytes) =>
        {
            ((NpgsqlParameter<int>)chunk.Parameters[1]).TypedValue = seq;
            ((NpgsqlParameter<byte[]>)chunk.Parameters[2]).TypedValue = bytes;
            chunk.ExecuteNonQuery();
        });
        writePayload(writer);
        var (sha, length, chunks, inline) = writer.Complete();
        using (var done = Command(c, tx, "UPDATE models SET sha256 = $1, size = $2, chunks = $3, payload = $4 WHERE version = $5", sha, length, chunks, inline ?? [], version))
        {
            done.CommandTimeout = 0;
            done.ExecuteNonQuery();
        }
        Notify(c, tx, new StoreChange(StoreChangeKind.Models));
        tx.Commit();
        return version;
    }

    public ModelVersion? LatestModel(string? name = null)
    {
        using var c = Connect();
        using var cmd = name is null
            ? Command(c, null, $"SELECT {ModelColumns} FROM models ORDER BY version DESC LIMIT 1")
            : Command(c, null, $"SELECT {ModelColumns} FROM models WHERE name = $1 ORDER BY version DESC LIMIT 1", name);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadModel(r) : null;
    }

    public IReadOnlyList<ModelVersion> ListModels()
    {
        using var c = Connect();
        using var cmd = Command(c, null, $"SELECT {ModelColumns} FROM models ORDER BY version");
        using var r = cmd.ExecuteReader();
        var list = new List<ModelVersion>();
        while (r.Read()) list.Add(ReadModel(r));
        return list;
    }

    public Stream OpenModelPayload(long version)
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT sha256, size, chunks, CASE WHEN chunks = 0 THEN payload END FROM models WHERE version = $1", version);
        cmd.CommandTimeout = 0;
        using var r = cmd.ExecuteReader();
        if (!r.Read()) throw new KeyNotFoundException($"no model version {version} in {_where}");
        var (sha, length, chunks) = (r.GetString(0), r.GetInt64(1), r.GetInt32(2));
        if (chunks == 0) return new MemoryStream(StoreChecks.VerifiedPayload(r.GetFieldValue<byte[]>(3), sha, version, _where), writable: false);
        return new ModelChunkReader(chunks, length, sha, seq => ReadChunk(version, seq), version, _where);
    }

    private byte[] ReadChunk(long version, int seq)
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT bytes FROM model_chunks WHERE version = $1 AND seq = $2", version, seq);
        cmd.CommandTimeout = 0;
        return cmd.ExecuteScalar() as byte[] ?? throw new InvalidDataException($"model version {version} in {_where} is corrupt: chunk {seq} is missing");
    }

    public void RecordImport(string source, string format, string reportSummary, long accepted, long skipped)
    {
        StoreChecks.ImportRecord(source, format, reportSummary, accepted, skipped);
        using var c = Connect();
        Exec(c, null, "INSERT INTO imports(at, source, format, summary, accepted, skipped) VALUES(now(), $1, $2, $3, $4, $5)", source, format, reportSummary, accepted, skipped);
    }

    public IReadOnlyList<ImportRecord> ListImports()
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT id, at, source, format, summary, accepted, skipped FROM imports ORDER BY id");
        using var r = cmd.ExecuteReader();
        var list = new List<ImportRecord>();
        while (r.Read())
            list.Add(new ImportRecord(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetInt64(6)));
        return list;
    }

    private static ModelVersion ReadModel(NpgsqlDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3), r.GetString(4), r.GetInt64(5));
}
