using System.Text.Json;
using Merx.Core.Domain;
using NpgsqlTypes;

namespace Merx.Storage.Postgres;

/// <summary>Served lists, feedback, and the aggregates built from the pair (A/B counts, the exploration timeline, experiment logs).</summary>
public sealed partial class PostgresStore
{
    public void RecordServed(IReadOnlyList<ServedRecommendation> served)
    {
        StoreChecks.Served(served);
        if (served.Count == 0) return;
        using var c = Connect();
        using var tx = c.BeginTransaction();
        // A list whose user was deleted after it was served is left out (see IUserChangeFeed): another process flushing late must not bring a forgotten user back.
        using var cmd = Command(c, tx, """
            INSERT INTO served(id, user_ext, at, model, path, variant, items, explored, user_group, logging)
            SELECT $1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $10, $11::jsonb
            WHERE NOT EXISTS (SELECT 1 FROM user_changes WHERE user_hash = $9 AND kind = 1 AND at > $3)
            """, "", "", 0L, "", "", "", "", "", 0L, "", "");
        cmd.Parameters[3].NpgsqlDbType = cmd.Parameters[5].NpgsqlDbType = cmd.Parameters[9].NpgsqlDbType = cmd.Parameters[10].NpgsqlDbType = NpgsqlDbType.Text;
        foreach (var r in served)
        {
            var p = cmd.Parameters;
            p[0].Value = r.Id; p[1].Value = r.User; p[2].Value = r.At.ToUnixTimeMilliseconds(); p[3].Value = (object?)r.Model ?? DBNull.Value;
            p[4].Value = r.Path; p[5].Value = (object?)r.Variant ?? DBNull.Value;
            p[6].Value = JsonSerializer.Serialize(r.Items); p[7].Value = JsonSerializer.Serialize(r.Explored);
            p[8].Value = UserIdHash.Of(r.User);
            p[9].Value = (object?)r.UserGroup ?? DBNull.Value; p[10].Value = (object?)StoreJson.WriteLogging(r.Logging) ?? DBNull.Value;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public ServedRecommendation? GetServed(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var c = Connect();
        using var cmd = Command(c, null, $"SELECT {ServedColumns("")} FROM served WHERE id = $1", id);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return StoreJson.ReadServed(r);
    }

    public void RecordFeedback(IReadOnlyList<FeedbackRecord> feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        foreach (var f in feedback)
            if (!double.IsFinite(f.Value)) throw new ArgumentException($"feedback value must be finite (recommendation {f.RecommendationId})", nameof(feedback));
        if (feedback.Count == 0) return;
        using var c = Connect();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, tx, "INSERT INTO feedback(rec_id, user_ext, item, kind, at, value) VALUES($1, $2, $3, $4, $5, $6)", "", "", "", (short)0, 0L, 0.0);
        foreach (var f in feedback)
        {
            var p = cmd.Parameters;
            p[0].Value = f.RecommendationId; p[1].Value = f.User; p[2].Value = f.Item; p[3].Value = (short)f.Kind;
            p[4].Value = f.At.ToUnixTimeMilliseconds(); p[5].Value = f.Value;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public IReadOnlyDictionary<(string Variant, EventKind Kind), long> FeedbackCounts()
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT COALESCE(s.variant, ''), f.kind, COUNT(*) FROM feedback f JOIN served s ON s.id = f.rec_id GROUP BY 1, 2");
        using var r = cmd.ExecuteReader();
        var result = new Dictionary<(string, EventKind), long>();
        while (r.Read()) result[(r.GetString(0), (EventKind)r.GetInt16(1))] = r.GetInt64(2);
        return result;
    }

    public IReadOnlyList<ExplorationBucket> ExplorationTimeline(DateTimeOffset since, TimeSpan bucket)
    {
        var width = (long)bucket.TotalMilliseconds;
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "the bucket must be at least a millisecond");
        var from = since.ToUnixTimeMilliseconds();
        using var c = Connect();
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var buckets = new SortedDictionary<long, long[]>();
        long[] Row(long b) => buckets.TryGetValue(b, out var row) ? row : buckets[b] = new long[5];
        using (var cmd = Command(c, tx, """
            SELECT s.at / $1 AS b, COUNT(*), SUM(jsonb_array_length(s.explored)),
                   SUM((SELECT COUNT(*) FROM jsonb_array_elements(s.explored) x WHERE x = 'true'::jsonb))
            FROM served s WHERE s.at >= $2 GROUP BY b
            """, width, from))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var row = Row(r.GetInt64(0));
                row[0] = r.GetInt64(1); row[1] = Convert.ToInt64(r.GetValue(2)); row[2] = Convert.ToInt64(r.GetValue(3));
            }
        // A click counts for the slot where its item was shown (the first, should a list repeat an item).
        using (var cmd = Command(c, tx, """
            SELECT b, SUM(explored), SUM(1 - explored) FROM (
                SELECT s.at / $1 AS b,
                       COALESCE((s.explored -> ((SELECT MIN(it.o) FROM jsonb_array_elements_text(s.items) WITH ORDINALITY AS it(v, o) WHERE it.v = f.item) - 1)::int)::boolean::int, 0) AS explored
                FROM feedback f JOIN served s ON s.id = f.rec_id
                WHERE f.kind = $3 AND s.at >= $2) t
            GROUP BY b
            """, width, from, (short)EventKind.Click))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var row = Row(r.GetInt64(0));
                row[3] = Convert.ToInt64(r.GetValue(1)); row[4] = Convert.ToInt64(r.GetValue(2));
            }
        tx.Commit();
        return buckets.Select(p => new ExplorationBucket(DateTimeOffset.FromUnixTimeMilliseconds(p.Key * width), p.Value[0], p.Value[1], p.Value[2], p.Value[3], p.Value[4])).ToArray();
    }

    /// <summary><see cref="StoreJson.ServedColumns"/> with the JSONB ones read as text, each prefixed by <paramref name="alias"/>.</summary>
    private static string ServedColumns(string alias) => string.Join(", ", StoreJson.ServedColumns.Split(", ")
        .Select(col => alias + col + (col is "items" or "explored" or "logging" ? "::text" : "")));

    public IReadOnlyList<ServedOutcome> ServedOutcomes(DateTimeOffset since)
    {
        using var c = Connect();
        using var cmd = Command(c, null, $"""
            SELECT {ServedColumns("s.")}, f.item FROM served s
            LEFT JOIN feedback f ON f.rec_id = s.id AND f.kind = $1
            WHERE s.at >= $2 ORDER BY s.n, f.seq
            """, (short)EventKind.Click, since.ToUnixTimeMilliseconds());
        using var r = cmd.ExecuteReader();
        return StoreJson.Outcomes(r);
    }

    public IReadOnlyList<ExperimentLogEntry> ExperimentLog(string variantPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(variantPrefix);
        using var c = Connect();
        using var cmd = Command(c, null, """
            SELECT at, user_ext, variant, NULL::smallint AS kind, 0.0::float8 AS value, 0 AS o, n AS k FROM served WHERE starts_with(variant, $1)
            UNION ALL
            SELECT f.at, f.user_ext, s.variant, f.kind, f.value, 1, f.seq FROM feedback f JOIN served s ON s.id = f.rec_id WHERE starts_with(s.variant, $1)
            ORDER BY 1, 6, 7
            """, variantPrefix);
        using var r = cmd.ExecuteReader();
        var result = new List<ExperimentLogEntry>();
        while (r.Read())
            result.Add(new ExperimentLogEntry(DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2),
                r.IsDBNull(3) ? null : (EventKind)r.GetInt16(3), r.GetDouble(4)));
        return result;
    }
}
