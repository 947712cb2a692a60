using System.Text.Json;
using Merx.Core.Domain;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>Items read per turn of <see cref="ScanItems"/>'s lock: other writers wait for one batch's read, never for the visitor.</summary>
    internal const int ScanBatch = 20_000;

    public void ScanItems(Action<string, Item?> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        var pool = new CatalogValuePool();
        var batch = new List<(string Id, Item? Item)>(ScanBatch);
        var last = long.MinValue;
        do
        {
            batch.Clear();
            // In key batches: a scan of 10M items (a serving catalog, a search index over it) must not hold the write lock for its whole length.
            lock (_gate)
            {
                using var cmd = Command($"SELECT id, cataloged, {ItemColumns} FROM items WHERE id > $last ORDER BY id LIMIT {ScanBatch}");
                cmd.Parameters.AddWithValue("$last", last);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    last = r.GetInt64(0);
                    batch.Add((r.GetString(2), r.GetInt64(1) != 0 ? StoreJson.ReadItem(r, 2, pool) : null));
                }
            }
            foreach (var (id, item) in batch) visit(id, item);
        } while (batch.Count == ScanBatch);
    }

    public IReadOnlyList<string> RecentUsers(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            var result = new List<string>();
            using var cmd = Command("SELECT ext_id FROM users WHERE last_seq IS NOT NULL ORDER BY last_seq DESC LIMIT $n");
            cmd.Parameters.AddWithValue("$n", limit);
            using var r = cmd.ExecuteReader();
            while (r.Read()) result.Add(r.GetString(0));
            return result;
        }
    }

    public void RecordServed(IReadOnlyList<ServedRecommendation> served)
    {
        StoreChecks.Served(served);
        lock (_gate)
        {
            using var tx = BeginWrite();
            // A list whose user was deleted after it was served is left out (see IUserChangeFeed): another process flushing late must not bring a forgotten user back.
            using var cmd = Command($"INSERT INTO served(id, user_ext, at, model, path, variant, items, explored, user_group, logging) SELECT $id, $u, $at, $m, $p, $v, $i, $e, $g, $l WHERE NOT EXISTS ({DeletedSince})", tx);
            var p = AddParameters(cmd, "$id", "$u", "$at", "$m", "$p", "$v", "$i", "$e", "$h", "$g", "$l");
            foreach (var r in served)
            {
                p[8].Value = UserIdHash.Of(r.User);
                p[9].Value = (object?)r.UserGroup ?? DBNull.Value; p[10].Value = (object?)StoreJson.WriteLogging(r.Logging) ?? DBNull.Value;
                p[0].Value = r.Id; p[1].Value = r.User; p[2].Value = r.At.ToUnixTimeMilliseconds(); p[3].Value = (object?)r.Model ?? DBNull.Value;
                p[4].Value = r.Path; p[5].Value = (object?)r.Variant ?? DBNull.Value;
                p[6].Value = JsonSerializer.Serialize(r.Items); p[7].Value = JsonSerializer.Serialize(r.Explored);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public ServedRecommendation? GetServed(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            using var cmd = Command($"SELECT {StoreJson.ServedColumns} FROM served WHERE id = $id");
            cmd.Parameters.AddWithValue("$id", id);
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return null;
            return StoreJson.ReadServed(r);
        }
    }

    public void RecordFeedback(IReadOnlyList<FeedbackRecord> feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        lock (_gate)
        {
            using var tx = BeginWrite();
            using var cmd = Command("INSERT INTO feedback(rec_id, user_ext, item, kind, at, value) VALUES($r, $u, $i, $k, $at, $v)", tx);
            var p = AddParameters(cmd, "$r", "$u", "$i", "$k", "$at", "$v");
            foreach (var f in feedback)
            {
                if (!double.IsFinite(f.Value)) throw new ArgumentException($"feedback value must be finite (recommendation {f.RecommendationId})", nameof(feedback));
                p[0].Value = f.RecommendationId; p[1].Value = f.User; p[2].Value = f.Item; p[3].Value = (int)f.Kind;
                p[4].Value = f.At.ToUnixTimeMilliseconds(); p[5].Value = f.Value;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public IReadOnlyDictionary<(string Variant, EventKind Kind), long> FeedbackCounts()
    {
        lock (_gate)
        {
            var result = new Dictionary<(string, EventKind), long>();
            using var cmd = Command("SELECT COALESCE(s.variant, ''), f.kind, COUNT(*) FROM feedback f JOIN served s ON s.id = f.rec_id GROUP BY 1, 2");
            using var r = cmd.ExecuteReader();
            while (r.Read()) result[(r.GetString(0), (EventKind)r.GetInt32(1))] = r.GetInt64(2);
            return result;
        }
    }

    public IReadOnlyList<ExperimentLogEntry> ExperimentLog(string variantPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(variantPrefix);
        lock (_gate)
        {
            var result = new List<ExperimentLogEntry>();
            using var cmd = Command("""
                SELECT at, user_ext, variant, NULL, 0.0, 0 AS o FROM served WHERE substr(variant, 1, length($p)) = $p
                UNION ALL
                SELECT f.at, f.user_ext, s.variant, f.kind, f.value, 1 FROM feedback f JOIN served s ON s.id = f.rec_id WHERE substr(s.variant, 1, length($p)) = $p
                ORDER BY 1, 6
                """);
            cmd.Parameters.AddWithValue("$p", variantPrefix);
            using var r = cmd.ExecuteReader();
            while (r.Read())
                result.Add(new ExperimentLogEntry(DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2),
                    r.IsDBNull(3) ? null : (EventKind)r.GetInt32(3), r.GetDouble(4)));
            return result;
        }
    }

    public IReadOnlyList<ServedOutcome> ServedOutcomes(DateTimeOffset since)
    {
        lock (_gate)
        {
            using var cmd = Command($"""
                SELECT s.{StoreJson.ServedColumns.Replace(", ", ", s.")}, f.item FROM served s
                LEFT JOIN feedback f ON f.rec_id = s.id AND f.kind = $k
                WHERE s.at >= $since ORDER BY s.rowid, f.seq
                """);
            cmd.Parameters.AddWithValue("$k", (int)EventKind.Click);
            cmd.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            using var r = cmd.ExecuteReader();
            return StoreJson.Outcomes(r);
        }
    }

    public void PutState(string key, byte[] value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
            NonQuery("INSERT INTO state(key, value, updated_at) VALUES($k, $v, $t) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", null,
                ("$k", key), ("$v", value), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    }

    public byte[]? GetState(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        lock (_gate) return Scalar("SELECT value FROM state WHERE key = $k", null, ("$k", key)) as byte[];
    }
}
