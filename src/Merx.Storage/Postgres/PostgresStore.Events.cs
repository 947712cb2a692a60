using Merx.Core.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Merx.Storage.Postgres;

public sealed partial class PostgresStore
{
    private readonly EventPartitions _partitions;

    // Users (or items) named by a chunk, in order of first appearance: new ones are inserted in that
    // order (so keys, and a loaded data set's interning order, follow arrival), then every key is read back.
    private const string ResolveKeys = """
        WITH input AS (SELECT x, o FROM unnest($1::text[]) WITH ORDINALITY AS t(x, o)),
             created AS (INSERT INTO {0}(ext_id) SELECT x FROM input ORDER BY o ON CONFLICT (ext_id) DO NOTHING RETURNING id, ext_id)
        SELECT ext_id, id, TRUE FROM created
        UNION ALL
        SELECT t.ext_id, t.id, FALSE FROM {0} t JOIN input ON t.ext_id = input.x
        """;

    /// <summary>
    /// Appends in one transaction: the row of <c>next_seq</c> is locked first (appenders in every process
    /// take turns, so a batch's sequence numbers are contiguous and commit in order), then events are
    /// validated and written a chunk at a time by binary COPY. Any failure rolls the whole batch back.
    /// </summary>
    public ImportBatch AppendEvents(IEnumerable<RawEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        try
        {
            var first = (long)Scalar(c, tx, "SELECT value FROM counters WHERE name = 'next_seq' FOR UPDATE")!;
            var writer = new ChunkWriter(this, c, tx, first);
            var chunk = new List<RawEvent>(Math.Min(_options.AppendChunk, 4096));
            var position = 0L;
            foreach (var e in events)
            {
                EventValidation.Check(e, position++);
                chunk.Add(e);
                if (chunk.Count == _options.AppendChunk)
                {
                    writer.Write(chunk);
                    chunk.Clear();
                }
            }
            writer.Write(chunk);
            writer.Finish();
            var next = first + position;
            if (position > 0)
            {
                Exec(c, tx, "UPDATE counters SET value = $1 WHERE name = 'next_seq'", next);
                var hashes = writer.UserHashes.Count <= StoreSignals.MaxListedUsers ? writer.UserHashes.ToArray() : null;
                Notify(c, tx, new StoreChange(StoreChangeKind.Events, first, next - 1, hashes));
            }
            tx.Commit();
            return new ImportBatch(position, writer.NewUsers, writer.NewItems, position == 0 ? 0 : first, position == 0 ? 0 : next - 1);
        }
        catch
        {
            _partitions.Reset();
            throw;
        }
    }

    /// <summary>Writes chunks of one append: resolves keys, makes the months' partitions, COPYs the rows, moves users' last_seq.</summary>
    private sealed class ChunkWriter(PostgresStore store, NpgsqlConnection c, NpgsqlTransaction tx, long firstSeq)
    {
        private readonly Dictionary<long, long> _last = [];

        /// <summary>The <see cref="UserIdHash"/> of the users this append names (listed in its announcement when few).</summary>
        public HashSet<long> UserHashes { get; } = [];
        private long _seq = firstSeq;
        public long NewUsers, NewItems;

        public void Write(List<RawEvent> chunk)
        {
            if (chunk.Count == 0) return;
            var users = Keys("users", chunk.Select(e => e.User), ref NewUsers);
            if (UserHashes.Count <= StoreSignals.MaxListedUsers)
                foreach (var id in users.Keys)
                    if (UserHashes.Add(UserIdHash.Of(id)) && UserHashes.Count > StoreSignals.MaxListedUsers) break;
            var items = Keys("items", chunk.Where(e => e.Item is not null).Select(e => e.Item!), ref NewItems);
            var missing = store._partitions.Missing(chunk.Select(e => EventPartitions.MonthOf(e.Timestamp)));
            foreach (var m in missing) Exec(c, tx, EventPartitions.CreateSql(m));
            store._partitions.Created(missing);

            using (var copy = c.BeginBinaryImport("COPY events(seq, user_id, item_id, kind, ts, value, session, query, platform) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var e in chunk)
                {
                    var user = users[e.User];
                    copy.StartRow();
                    copy.Write(_seq, NpgsqlDbType.Bigint);
                    copy.Write(user, NpgsqlDbType.Bigint);
                    if (e.Item is null) copy.WriteNull(); else copy.Write(items[e.Item], NpgsqlDbType.Bigint);
                    copy.Write((short)e.Kind, NpgsqlDbType.Smallint);
                    copy.Write(e.Timestamp, NpgsqlDbType.Bigint);
                    copy.Write(e.Value, NpgsqlDbType.Real);
                    if (e.Session is null) copy.WriteNull(); else copy.Write(e.Session, NpgsqlDbType.Text);
                    if (e.Query is null) copy.WriteNull(); else copy.Write(e.Query, NpgsqlDbType.Text);
                    if (e.Platform is null) copy.WriteNull(); else copy.Write(e.Platform, NpgsqlDbType.Text);
                    _last[user] = _seq++;
                }
                copy.Complete();
            }
        }

        /// <summary>Moves each touched user's last_seq once per append (not per chunk: every update is a new row version).</summary>
        public void Finish()
        {
            if (_last.Count == 0) return;
            Exec(c, tx, "UPDATE users SET last_seq = v.s FROM unnest($1::bigint[], $2::bigint[]) AS v(id, s) WHERE users.id = v.id",
                _last.Keys.ToArray(), _last.Values.ToArray());
        }

        private Dictionary<string, long> Keys(string table, IEnumerable<string> ids, ref long created)
        {
            var distinct = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in ids) if (seen.Add(id)) distinct.Add(id);
            var keys = new Dictionary<string, long>(distinct.Count, StringComparer.Ordinal);
            if (distinct.Count == 0) return keys;
            using var cmd = Command(c, tx, string.Format(System.Globalization.CultureInfo.InvariantCulture, ResolveKeys, table), (object)distinct.ToArray());
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                keys[r.GetString(0)] = r.GetInt64(1);
                if (r.GetBoolean(2)) created++;
            }
            return keys;
        }
    }

    /// <summary>Creates the partitions of this month and the next (own transaction), so live ingestion never waits on DDL.</summary>
    private void PrepareCurrentPartitions()
    {
        using var c = Connect();
        var now = EventPartitions.MonthOf(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using (var tx = c.BeginTransaction())
        {
            Exec(c, tx, EventPartitions.CreateSql(now));
            Exec(c, tx, EventPartitions.CreateSql(now + 1));
            tx.Commit();
        }
        using var cmd = Command(c, null, """
            SELECT child.relname FROM pg_inherits i
            JOIN pg_class parent ON parent.oid = i.inhparent JOIN pg_class child ON child.oid = i.inhrelid
            WHERE parent.oid = 'events'::regclass
            """);
        using var r = cmd.ExecuteReader();
        var months = new List<int>();
        while (r.Read())
        {
            var name = r.GetString(0);
            if (name.Length == 14 && int.TryParse(name.AsSpan(7, 4), out var y) && int.TryParse(name.AsSpan(12, 2), out var mo))
                months.Add((y - 1970) * 12 + mo - 1);
        }
        _partitions.Created(months);
    }

    public IReadOnlyList<RawEvent> RecentEvents(string userId, int limit)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0) return [];
        using var c = Connect();
        using var cmd = Command(c, null, """
            SELECT i.ext_id, e.kind, e.ts, e.value, e.session, e.query, e.platform
            FROM (SELECT e.* FROM events e WHERE e.user_id = (SELECT id FROM users WHERE ext_id = $1) ORDER BY e.seq DESC LIMIT $2) e
            LEFT JOIN items i ON i.id = e.item_id
            ORDER BY e.seq DESC
            """, userId, limit);
        using var r = cmd.ExecuteReader();
        var list = new List<RawEvent>();
        while (r.Read())
            list.Add(new RawEvent(userId, r.IsDBNull(0) ? null : r.GetString(0), (EventKind)r.GetInt16(1), r.GetInt64(2), r.GetFloat(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        return list;
    }

    public long NextEventSequence()
    {
        using var c = Connect();
        return (long)Scalar(c, null, "SELECT value FROM counters WHERE name = 'next_seq'")!;
    }

    public IReadOnlyList<string> RecentUsers(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT ext_id FROM users WHERE last_seq IS NOT NULL ORDER BY last_seq DESC LIMIT $1", limit);
        using var r = cmd.ExecuteReader();
        var result = new List<string>();
        while (r.Read()) result.Add(r.GetString(0));
        return result;
    }
}
