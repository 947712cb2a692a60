using Merx.Core.Data;
using Merx.Core.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Merx.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string ItemColumns = "ext_id, title, description, category_path, brand, shop, price, tags, attributes, created_at, in_stock::int8";
    /// <summary><see cref="ItemColumns"/> with NULL for the title and description (<see cref="LoadDataset"/> without item text).</summary>
    private const string ItemColumnsWithoutText = "ext_id, NULL::text, NULL::text, category_path, brand, shop, price, tags, attributes, created_at, in_stock::int8";
    private const long SecondsPerDay = 86_400;

    /// <summary>Reads the whole store in one repeatable-read transaction (one snapshot); events stream in arrival order by binary COPY.</summary>
    public Dataset LoadDataset(bool itemText = true)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var builder = new DatasetBuilder();
        var itemIds = new Dictionary<long, string>();
        using (var cmd = Command(c, tx, $"SELECT id, cataloged, {(itemText ? ItemColumns : ItemColumnsWithoutText)} FROM items ORDER BY id"))
        {
            cmd.CommandTimeout = 0;
            var pool = new CatalogValuePool();
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                itemIds[r.GetInt64(0)] = r.GetString(2);
                if (r.GetInt16(1) != 0) builder.AddItem(StoreJson.ReadItem(r, 2, pool));
            }
        }
        // A linked group is one user, named by its first member (lowest key, read first); its first profile in key order is the group's.
        var canonical = LinkCanonicalKeys(c, tx);
        var profiled = new HashSet<string>(StringComparer.Ordinal);
        var userIds = new Dictionary<long, string>();
        using (var cmd = Command(c, tx, "SELECT id, ext_id, attributes FROM users ORDER BY id"))
        {
            cmd.CommandTimeout = 0;
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var key = r.GetInt64(0);
                var id = canonical.TryGetValue(key, out var first) && first != key ? userIds[first] : r.GetString(1);
                userIds[key] = id;
                if (!r.IsDBNull(2) && profiled.Add(id)) builder.AddUser(new UserProfile { Id = id, Attributes = StoreJson.ReadAttributes(r.GetString(2)) });
            }
        }
        Exec(c, tx, "SET LOCAL work_mem = '256MB'");
        using (var copy = c.BeginBinaryExport("COPY (SELECT user_id, item_id, kind, ts, value, session, query, platform FROM events ORDER BY seq) TO STDOUT (FORMAT BINARY)"))
        {
            copy.Timeout = Timeout.InfiniteTimeSpan;
            while (copy.StartRow() != -1)
            {
                var user = userIds[copy.Read<long>(NpgsqlDbType.Bigint)];
                string? item = null;
                if (copy.IsNull) copy.Skip(); else item = itemIds[copy.Read<long>(NpgsqlDbType.Bigint)];
                var kind = (EventKind)copy.Read<short>(NpgsqlDbType.Smallint);
                var ts = copy.Read<long>(NpgsqlDbType.Bigint);
                var value = copy.Read<float>(NpgsqlDbType.Real);
                var session = NullableText(copy);
                var query = NullableText(copy);
                var platform = NullableText(copy);
                builder.AddEvent(new RawEvent(user, item, kind, ts, value, session, query, platform));
            }
        }
        tx.Commit();
        return builder.Build();
    }

    private static string? NullableText(NpgsqlBinaryExporter copy)
    {
        if (!copy.IsNull) return copy.Read<string>(NpgsqlDbType.Text);
        copy.Skip();
        return null;
    }

    public StoreStats GetStats()
    {
        using var c = Connect();
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var byKind = new long[EventKinds.Count];
        long events = 0;
        using (var cmd = Command(c, tx, "SELECT kind, COUNT(*) FROM events GROUP BY kind"))
        {
            cmd.CommandTimeout = 0;
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var kind = r.GetInt16(0);
                var count = r.GetInt64(1);
                if ((uint)kind < EventKinds.Count) byKind[kind] = count;
                events += count;
            }
        }
        long Count(string sql)
        {
            using var cmd = Command(c, tx, sql);
            cmd.CommandTimeout = 0;
            return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        var users = Count("SELECT COUNT(*) FROM users WHERE attributes IS NOT NULL OR last_seq IS NOT NULL");
        var profiles = Count("SELECT COUNT(*) FROM users WHERE attributes IS NOT NULL");
        var catalog = Count("SELECT COUNT(*) FROM items WHERE cataloged = 1");
        // Items known only from events: a key can outlive its last event (user deletion), so count the ones still named.
        var eventOnly = Count("SELECT COUNT(DISTINCT e.item_id) FROM events e JOIN items i ON i.id = e.item_id WHERE i.cataloged = 0");
        tx.Commit();
        return new StoreStats(users, catalog + eventOnly, events, byKind, profiles, catalog);
    }

    public IReadOnlyList<DailyEventCount> EventTimeline(DateOnly since)
    {
        var epoch = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        var from = (long)(since.DayNumber - epoch) * SecondsPerDay;
        using var c = Connect();
        // Floor division, so that timestamps before 1970 land on their own day too.
        using var cmd = Command(c, null, """
            SELECT floor(ts::numeric / $1)::int8 AS day, kind, COUNT(*) FROM events
            WHERE ts >= $2 GROUP BY day, kind ORDER BY day, kind
            """, SecondsPerDay, from);
        using var r = cmd.ExecuteReader();
        var result = new List<DailyEventCount>();
        while (r.Read())
        {
            var kind = r.GetInt16(1);
            if ((uint)kind >= EventKinds.Count) continue;
            result.Add(new DailyEventCount(DateOnly.FromDayNumber(epoch + (int)r.GetInt64(0)), (EventKind)kind, r.GetInt64(2)));
        }
        return result;
    }
}
