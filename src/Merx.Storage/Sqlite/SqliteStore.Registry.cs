using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string ModelColumns = "version, name, created_at, sha256, metrics, size";

    public long PublishModel(string name, Action<Stream> writePayload, string metricsJson)
    {
        StoreChecks.ModelMetadata(name, metricsJson);
        ArgumentNullException.ThrowIfNull(writePayload);
        // Staged in a temporary file beside the store before its lock is taken: serializing a large model (two passes over
        // 3 GB at 10M items) would otherwise hold every other write of this process for that long; copying the file is quick.
        // Beside the store, because the payload needs that disk anyway (a temporary folder may be memory).
        using var staged = new FileStream($"{System.IO.Path.GetFullPath(Path)}.model-{Guid.NewGuid():N}.tmp",
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
        writePayload(staged);
        staged.Position = 0;
        lock (_gate)
        {
            using var tx = BeginWrite();
            // The version's row first (its number names the chunks), completed once the payload is written.
            var version = Convert.ToInt64(Scalar("INSERT INTO models(name, created_at, sha256, metrics, size, payload) VALUES($n, $at, '', $m, 0, x'') RETURNING version", tx,
                ("$n", name), ("$at", DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture)), ("$m", metricsJson)));
            using var chunk = Command("INSERT INTO model_chunks(version, seq, bytes) VALUES($v, $s, $b)", tx);
            var (pv, ps, pb) = (chunk.Parameters.Add("$v", SqliteType.Integer), chunk.Parameters.Add("$s", SqliteType.Integer), chunk.Parameters.Add("$b", SqliteType.Blob));
            using var writer = new ModelChunkWriter((seq, bytes) =>
            {
                (pv.Value, ps.Value, pb.Value) = (version, seq, bytes);
                chunk.ExecuteNonQuery();
            });
            staged.CopyTo(writer, 1 << 20);
            var (sha, length, chunks, inline) = writer.Complete();
            using (var done = Command("UPDATE models SET sha256 = $sha, size = $size, chunks = $c, payload = $p WHERE version = $v", tx))
            {
                done.Parameters.AddWithValue("$sha", sha);
                done.Parameters.AddWithValue("$size", length);
                done.Parameters.AddWithValue("$c", chunks);
                done.Parameters.Add("$p", SqliteType.Blob).Value = inline ?? [];
                done.Parameters.AddWithValue("$v", version);
                done.ExecuteNonQuery();
            }
            tx.Commit();
            return version;
        }
    }

    public ModelVersion? LatestModel(string? name = null)
    {
        lock (_gate)
        {
            using var cmd = Command(name is null
                ? $"SELECT {ModelColumns} FROM models ORDER BY version DESC LIMIT 1"
                : $"SELECT {ModelColumns} FROM models WHERE name = $n ORDER BY version DESC LIMIT 1");
            if (name is not null) cmd.Parameters.AddWithValue("$n", name);
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadModel(r) : null;
        }
    }

    public IReadOnlyList<ModelVersion> ListModels()
    {
        lock (_gate)
        {
            using var cmd = Command($"SELECT {ModelColumns} FROM models ORDER BY version");
            using var r = cmd.ExecuteReader();
            var list = new List<ModelVersion>();
            while (r.Read()) list.Add(ReadModel(r));
            return list;
        }
    }

    public Stream OpenModelPayload(long version)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT sha256, size, chunks, CASE WHEN chunks = 0 THEN payload END FROM models WHERE version = $v");
            cmd.Parameters.AddWithValue("$v", version);
            using var r = cmd.ExecuteReader();
            if (!r.Read()) throw new KeyNotFoundException($"no model version {version} in '{Path}'");
            var (sha, length, chunks) = (r.GetString(0), r.GetInt64(1), r.GetInt32(2));
            if (chunks == 0) return new MemoryStream(StoreChecks.VerifiedPayload((byte[])r.GetValue(3), sha, version, $"'{Path}'"), writable: false);
            return new ModelChunkReader(chunks, length, sha, seq => ReadChunk(version, seq), version, $"'{Path}'");
        }
    }

    private byte[] ReadChunk(long version, int seq)
    {
        lock (_gate)
        {
            var bytes = Scalar("SELECT bytes FROM model_chunks WHERE version = $v AND seq = $s", null, ("$v", version), ("$s", seq));
            return bytes as byte[] ?? throw new InvalidDataException($"model version {version} in '{Path}' is corrupt: chunk {seq} is missing");
        }
    }

    public void RecordImport(string source, string format, string reportSummary, long accepted, long skipped)
    {
        StoreChecks.ImportRecord(source, format, reportSummary, accepted, skipped);
        lock (_gate)
            NonQuery("INSERT INTO imports(at, source, format, summary, accepted, skipped) VALUES($at, $s, $f, $r, $a, $k)", null,
                ("$at", DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture)), ("$s", source), ("$f", format),
                ("$r", reportSummary), ("$a", accepted), ("$k", skipped));
    }

    public IReadOnlyList<ImportRecord> ListImports()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT id, at, source, format, summary, accepted, skipped FROM imports ORDER BY id");
            using var r = cmd.ExecuteReader();
            var list = new List<ImportRecord>();
            while (r.Read())
                list.Add(new ImportRecord(r.GetInt64(0), ParseTime(r.GetString(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetInt64(6)));
            return list;
        }
    }

    private static ModelVersion ReadModel(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), ParseTime(r.GetString(2)), r.GetString(3), r.GetString(4), r.GetInt64(5));

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.ParseExact(text, "o", CultureInfo.InvariantCulture);
}
