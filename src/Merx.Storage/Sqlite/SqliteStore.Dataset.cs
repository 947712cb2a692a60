using Merx.Core.Data;
using Merx.Core.Domain;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public Dataset LoadDataset(bool itemText = true)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: true);
            var builder = new DatasetBuilder();
            var itemIds = new string?[MaxKey("items", tx) + 1];
            var pool = new CatalogValuePool();
            using (var cmd = Command($"SELECT id, cataloged, {(itemText ? ItemColumns : ItemColumnsWithoutText)} FROM items ORDER BY id", tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read())
                {
                    itemIds[r.GetInt64(0)] = r.GetString(2);
                    if (r.GetInt64(1) != 0) builder.AddItem(StoreJson.ReadItem(r, 2, pool));
                }

            // A linked group is one user, named by its first member (lowest key, read first); its first profile in key order is the group's.
            var canonical = LinkCanonicalKeys(tx);
            var profiled = new HashSet<string>(StringComparer.Ordinal);
            var userIds = new string?[MaxKey("users", tx) + 1];
            using (var cmd = Command("SELECT id, ext_id, attributes FROM users ORDER BY id", tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read())
                {
                    var key = r.GetInt64(0);
                    var id = canonical.TryGetValue(key, out var first) && first != key ? userIds[first]! : r.GetString(1);
                    userIds[key] = id;
                    if (!r.IsDBNull(2) && profiled.Add(id)) builder.AddUser(new UserProfile { Id = id, Attributes = StoreJson.ReadAttributes(r.GetString(2)) });
                }

            using (var scan = RawSql.Prepare(_handle, "SELECT user_id, COALESCE(item_id, -1), kind, ts, value, session, query, platform FROM events ORDER BY seq"))
            {
                var h = NativeBind.Handle(scan);
                int rc;
                while ((rc = raw.sqlite3_step(scan)) == raw.SQLITE_ROW)
                {
                    var item = NativeColumn.Int64(h, 1);
                    builder.AddEvent(new RawEvent(userIds[NativeColumn.Int64(h, 0)]!, item < 0 ? null : itemIds[item], (EventKind)NativeColumn.Int32(h, 2),
                        NativeColumn.Int64(h, 3), (float)NativeColumn.Double(h, 4), NativeColumn.TextOrNull(h, 5), NativeColumn.TextOrNull(h, 6), NativeColumn.TextOrNull(h, 7)));
                }
                if (rc != raw.SQLITE_DONE) RawSql.Fail(_handle, rc, "reading events");
            }
            return builder.Build();
        }
    }

    public StoreStats GetStats()
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: true);
            var byKind = new long[EventKinds.Count];
            long events = 0;
            using (var cmd = Command("SELECT kind, COUNT(*) FROM events GROUP BY kind", tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read())
                {
                    var kind = r.GetInt32(0);
                    var count = r.GetInt64(1);
                    if ((uint)kind < EventKinds.Count) byKind[kind] = count;
                    events += count;
                }
            var users = Count("SELECT COUNT(*) FROM users WHERE attributes IS NOT NULL OR last_seq IS NOT NULL", tx);
            var profiles = Count("SELECT COUNT(*) FROM users WHERE attributes IS NOT NULL", tx);
            var catalog = Count("SELECT COUNT(*) FROM items WHERE cataloged = 1", tx);
            // Items known only from events: a key can outlive its last event (user deletion), so count the ones still named.
            var eventOnly = Count("SELECT COUNT(DISTINCT e.item_id) FROM events e JOIN items i ON i.id = e.item_id WHERE i.cataloged = 0", tx);
            return new StoreStats(users, catalog + eventOnly, events, byKind, profiles, catalog);
        }
    }

    private long MaxKey(string table, Microsoft.Data.Sqlite.SqliteTransaction tx) => Count($"SELECT COALESCE(MAX(id), 0) FROM {table}", tx);

    private long Count(string sql, Microsoft.Data.Sqlite.SqliteTransaction tx) => Convert.ToInt64(Scalar(sql, tx));
}
