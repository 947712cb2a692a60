using System.Security.Cryptography;
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

    public long PublishModel(string name, byte[] payload, string metricsJson)
    {
        var sha = StoreChecks.ModelPayload(name, payload, metricsJson);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        // The lock keeps version numbers in commit order, so "the newest version" never goes back.
        Exec(c, tx, "LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE");
        using var cmd = Command(c, tx, "INSERT INTO models(name, created_at, sha256, metrics, size, payload) VALUES($1, now(), $2, $3, $4, $5) RETURNING version",
            name, sha, metricsJson, payload.LongLength, payload);
        cmd.CommandTimeout = 0;
        var version = (long)cmd.ExecuteScalar()!;
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

    public byte[] ReadModelPayload(long version)
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT payload, sha256 FROM models WHERE version = $1", version);
        cmd.CommandTimeout = 0;
        using var r = cmd.ExecuteReader();
        if (!r.Read()) throw new KeyNotFoundException($"no model version {version} in {_where}");
        return StoreChecks.VerifiedPayload(r.GetFieldValue<byte[]>(0), r.GetString(1), version, _where);
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
