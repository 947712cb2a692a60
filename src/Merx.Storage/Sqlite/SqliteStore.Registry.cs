using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string ModelColumns = "version, name, created_at, sha256, metrics, size";

    public long PublishModel(string name, byte[] payload, string metricsJson)
    {
        var sha = StoreChecks.ModelPayload(name, payload, metricsJson);
        lock (_gate)
        {
            using var cmd = Command("""
                INSERT INTO models(name, created_at, sha256, metrics, size, payload) VALUES($n, $at, $sha, $m, $size, $p)
                RETURNING version
                """);
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$sha", sha);
            cmd.Parameters.AddWithValue("$m", metricsJson);
            cmd.Parameters.AddWithValue("$size", payload.LongLength);
            cmd.Parameters.Add("$p", SqliteType.Blob).Value = payload;
            return Convert.ToInt64(cmd.ExecuteScalar());
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

    public byte[] ReadModelPayload(long version)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT payload, sha256 FROM models WHERE version = $v");
            cmd.Parameters.AddWithValue("$v", version);
            using var r = cmd.ExecuteReader();
            if (!r.Read()) throw new KeyNotFoundException($"no model version {version} in '{Path}'");
            return StoreChecks.VerifiedPayload((byte[])r.GetValue(0), r.GetString(1), version, $"'{Path}'");
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
