using Merx.Core.Domain;

namespace Merx.Storage.Sqlite;

/// <summary>Aggregates for the dashboard: the event timeline and the exploration counts over served lists and feedback.</summary>
public sealed partial class SqliteStore
{
    private const long SecondsPerDay = 86_400;

    public IReadOnlyList<DailyEventCount> EventTimeline(DateOnly since)
    {
        var from = since.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        lock (_gate)
        {
            var result = new List<DailyEventCount>();
            // Floor division, so that timestamps before 1970 land on their own day too.
            using var cmd = Command("""
                SELECT ts / $d - (ts < 0 AND ts % $d != 0) AS day, kind, COUNT(*) FROM events
                WHERE ts >= $from GROUP BY day, kind ORDER BY day, kind
                """);
            cmd.Parameters.AddWithValue("$d", SecondsPerDay);
            cmd.Parameters.AddWithValue("$from", from * SecondsPerDay);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var kind = r.GetInt32(1);
                if ((uint)kind >= EventKinds.Count) continue;
                result.Add(new DailyEventCount(DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)r.GetInt64(0)), (EventKind)kind, r.GetInt64(2)));
            }
            return result;
        }
    }

    public IReadOnlyList<ExplorationBucket> ExplorationTimeline(DateTimeOffset since, TimeSpan bucket)
    {
        var width = (long)bucket.TotalMilliseconds;
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "the bucket must be at least a millisecond");
        var from = since.ToUnixTimeMilliseconds();
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: true);
            var buckets = new SortedDictionary<long, long[]>();
            long[] Row(long b) => buckets.TryGetValue(b, out var row) ? row : buckets[b] = new long[5];
            using (var cmd = Command("""
                SELECT at / $w AS b, COUNT(*), SUM(json_array_length(explored)),
                       SUM((SELECT COUNT(*) FROM json_each(s.explored) WHERE json_each.type = 'true'))
                FROM served s WHERE at >= $from GROUP BY b
                """, tx))
            {
                cmd.Parameters.AddWithValue("$w", width);
                cmd.Parameters.AddWithValue("$from", from);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var row = Row(r.GetInt64(0));
                    row[0] = r.GetInt64(1); row[1] = r.GetInt64(2); row[2] = r.GetInt64(3);
                }
            }
            // A click counts for the slot where its item was shown (the first, should a list repeat an item).
            using (var cmd = Command("""
                SELECT b, SUM(explored), SUM(1 - explored) FROM (
                    SELECT s.at / $w AS b,
                           COALESCE(json_extract(s.explored, '$[' || (SELECT MIN(it.key) FROM json_each(s.items) it WHERE it.value = f.item) || ']'), 0) AS explored
                    FROM feedback f JOIN served s ON s.id = f.rec_id
                    WHERE f.kind = $click AND s.at >= $from)
                GROUP BY b
                """, tx))
            {
                cmd.Parameters.AddWithValue("$w", width);
                cmd.Parameters.AddWithValue("$from", from);
                cmd.Parameters.AddWithValue("$click", (int)EventKind.Click);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var row = Row(r.GetInt64(0));
                    row[3] = r.GetInt64(1); row[4] = r.GetInt64(2);
                }
            }
            return buckets.Select(p => new ExplorationBucket(DateTimeOffset.FromUnixTimeMilliseconds(p.Key * width), p.Value[0], p.Value[1], p.Value[2], p.Value[3], p.Value[4])).ToArray();
        }
    }
}
