using System.Globalization;
using Merx.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Merx.Storage.Postgres;

/// <summary>How many rows of one table a migration moved (source and target counted inside their transactions).</summary>
public sealed record MigratedTable(string Table, long Rows);

/// <summary>What <see cref="SqliteToPostgres.Migrate"/> moved, table by table, and how long it took.</summary>
public sealed record MigrationResult(IReadOnlyList<MigratedTable> Tables, TimeSpan Elapsed)
{
    public long this[string table] => Tables.Single(t => t.Table == table).Rows;
}

/// <summary>
/// Moves a whole shop from a SQLite store into an empty PostgreSQL store (<c>merx migrate</c>, issue 18):
/// users, items, events, models (with their checksums), served lists, feedback, experiments' and policies'
/// state, settings (the pseudonymization key's fingerprint), the import log and the user change feed, keys and
/// sequence numbers kept as they are. It reads one snapshot of the SQLite file and writes everything in one
/// PostgreSQL transaction by binary COPY; before committing, every table's row count in the target is checked
/// against the source (and the events' sequence numbers summed on both sides). Any failure, a mismatch included,
/// rolls everything back: the target is left as it was. A target that already holds data is refused.
/// </summary>
public static class SqliteToPostgres
{
    private static readonly string[] CheckedTables = ["users", "items", "events", "models", "model_chunks", "imports", "served", "feedback", "state", "settings", "user_changes", "item_vectors", "user_links"];

    public static MigrationResult Migrate(string sqlitePath, PostgresLocation target, IProgress<string>? progress = null, PostgresStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sqlitePath);
        ArgumentNullException.ThrowIfNull(target);
        if (!File.Exists(sqlitePath)) throw new FileNotFoundException($"no store at {sqlitePath}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Opening applies pending SQLite migrations, as every command does, so the source has the latest schema.
        using (SqliteStore.Open(sqlitePath)) { }
        options ??= new PostgresStoreOptions();
        using var pg = PostgresStore.Open(target, options);
        var cs = PostgresStore.ConnectionString(target, options);
        cs.CommandTimeout = 0;
        using var dst = new NpgsqlConnection(cs.ConnectionString);
        dst.Open();
        using var src = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(sqlitePath), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        src.Open();
        using var snapshot = src.BeginTransaction(deferred: true);
        using var tx = dst.BeginTransaction();
        foreach (var table in CheckedTables)
            if (Count(dst, tx, table) > 0)
                throw new InvalidOperationException($"the PostgreSQL store {target} is not empty ({table} has rows): migrate into a new database");

        void Say(string text) => progress?.Report($"migrate: {text}");
        Copy(src, dst, "SELECT id, ext_id, attributes, last_seq FROM users ORDER BY id",
            "users(id, ext_id, attributes, last_seq)", [NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint]);
        Say($"users {Count(dst, tx, "users"):N0}");
        Copy(src, dst, "SELECT id, ext_id, cataloged, title, description, category_path, brand, shop, price, tags, attributes, created_at, in_stock, image_encoder, image_hash FROM items ORDER BY id",
            "items(id, ext_id, cataloged, title, description, category_path, brand, shop, price, tags, attributes, created_at, in_stock, image_encoder, image_hash)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Smallint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
             NpgsqlDbType.Text, NpgsqlDbType.Double, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text]);
        Say($"items {Count(dst, tx, "items"):N0}");

        // The months' partitions first (no DDL while a COPY is open).
        var months = new HashSet<int>();
        using (var cmd = new SqliteCommand("SELECT DISTINCT ts / 86400 FROM events", src, snapshot))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) months.Add(EventPartitions.MonthOf(r.GetInt64(0) * 86400));
        foreach (var m in months.Where(m => m >= 0)) Exec(dst, tx, EventPartitions.CreateSql(m));
        Copy(src, dst, "SELECT seq, user_id, item_id, kind, ts, value, session, query, platform FROM events ORDER BY seq",
            "events(seq, user_id, item_id, kind, ts, value, session, query, platform)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Smallint, NpgsqlDbType.Bigint, NpgsqlDbType.Real, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text]);
        Say($"events {Count(dst, tx, "events"):N0}");

        Copy(src, dst, "SELECT version, name, created_at, sha256, metrics, size, payload, chunks FROM models ORDER BY version",
            "models(version, name, created_at, sha256, metrics, size, payload, chunks)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Integer]);
        Copy(src, dst, "SELECT version, seq, bytes FROM model_chunks ORDER BY version, seq", "model_chunks(version, seq, bytes)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Integer, NpgsqlDbType.Bytea]);
        Copy(src, dst, "SELECT id, at, source, format, summary, accepted, skipped FROM imports ORDER BY id",
            "imports(id, at, source, format, summary, accepted, skipped)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint]);
        Copy(src, dst, $"SELECT {StoreJson.ServedColumns} FROM served ORDER BY rowid",
            $"served({StoreJson.ServedColumns})",
            [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Jsonb, NpgsqlDbType.Jsonb, NpgsqlDbType.Text, NpgsqlDbType.Jsonb]);
        Copy(src, dst, "SELECT seq, rec_id, user_ext, item, kind, at, value FROM feedback ORDER BY seq",
            "feedback(seq, rec_id, user_ext, item, kind, at, value)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Smallint, NpgsqlDbType.Bigint, NpgsqlDbType.Double]);
        Copy(src, dst, "SELECT key, value, updated_at FROM state ORDER BY key", "state(key, value, updated_at)", [NpgsqlDbType.Text, NpgsqlDbType.Bytea, NpgsqlDbType.Bigint]);
        Copy(src, dst, "SELECT substr(key, 9), value FROM meta WHERE key LIKE 'setting:%' ORDER BY key", "settings(key, value)", [NpgsqlDbType.Text, NpgsqlDbType.Text]);
        Copy(src, dst, "SELECT seq, kind, user_hash, new_id, at FROM user_changes ORDER BY seq", "user_changes(seq, kind, user_hash, new_id, at)",
            [NpgsqlDbType.Bigint, NpgsqlDbType.Smallint, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint]);
        Copy(src, dst, "SELECT user_id, grp FROM user_links ORDER BY user_id", "user_links(user_id, grp)", [NpgsqlDbType.Bigint, NpgsqlDbType.Bigint]);
        Copy(src, dst, "SELECT encoder, content_hash, vector FROM item_vectors ORDER BY encoder, content_hash", "item_vectors(encoder, content_hash, vector)",
            [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bytea]);
        Say("models, imports, served lists, feedback, state, settings, the user change feed item vectors and user links copied");

        // Counters and sequences continue where SQLite's stopped (sequence numbers are never reused).
        var nextSeq = SqliteLong(src, snapshot, "SELECT value FROM meta WHERE key = 'next_seq'");
        var pruned = SqliteLong(src, snapshot, "SELECT COALESCE((SELECT value FROM meta WHERE key = 'user_changes_pruned'), 0)");
        Exec(dst, tx, $"UPDATE counters SET value = {nextSeq} WHERE name = 'next_seq'");
        Exec(dst, tx, $"UPDATE counters SET value = {pruned} WHERE name = 'user_changes_pruned'");
        SetSequence(dst, tx, "users", "id", SqliteLong(src, snapshot, "SELECT COALESCE(MAX(id), 0) FROM users"));
        SetSequence(dst, tx, "items", "id", SqliteLong(src, snapshot, "SELECT COALESCE(MAX(id), 0) FROM items"));
        SetSequence(dst, tx, "models", "version", SqliteLong(src, snapshot, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'models'), 0)"));
        SetSequence(dst, tx, "imports", "id", SqliteLong(src, snapshot, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'imports'), 0)"));
        SetSequence(dst, tx, "feedback", "seq", SqliteLong(src, snapshot, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'feedback'), 0)"));
        SetSequence(dst, tx, "user_changes", "seq", SqliteLong(src, snapshot, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'user_changes'), 0)"));
        SetSequence(dst, tx, "served", "n", Count(dst, tx, "served"));

        var tables = new List<MigratedTable>();
        foreach (var table in CheckedTables)
        {
            var expected = SqliteLong(src, snapshot, table == "settings" ? "SELECT COUNT(*) FROM meta WHERE key LIKE 'setting:%'" : $"SELECT COUNT(*) FROM {table}");
            var actual = Count(dst, tx, table);
            if (actual != expected) throw new InvalidDataException($"migration check failed: {table} has {actual:N0} rows in {target} but {expected:N0} in {sqlitePath}; nothing was committed");
            tables.Add(new MigratedTable(table, actual));
        }
        // Item image links (issue #19) are columns of items, not rows of their own: check them by their own count.
        const string withImage = "SELECT COUNT(*) FROM items WHERE image_hash IS NOT NULL";
        var imagesSrc = SqliteLong(src, snapshot, withImage);
        var imagesDst = Convert.ToInt64(Scalar(dst, tx, withImage), System.Globalization.CultureInfo.InvariantCulture);
        if (imagesSrc != imagesDst) throw new InvalidDataException($"migration check failed: {imagesDst:N0} items have an image link in {target} but {imagesSrc:N0} in {sqlitePath}; nothing was committed");
        tables.Add(new MigratedTable("item images", imagesDst));
        var sumSrc = SqliteLong(src, snapshot, "SELECT COALESCE(SUM(seq), 0) FROM events");
        var sumDst = (long)(decimal)Scalar(dst, tx, "SELECT COALESCE(SUM(seq), 0) FROM events")!;
        if (sumSrc != sumDst) throw new InvalidDataException($"migration check failed: the events' sequence numbers differ between {sqlitePath} and {target}; nothing was committed");
        tx.Commit();
        Say($"committed and checked in {clock.Elapsed.TotalSeconds:F1} s");
        return new MigrationResult(tables, clock.Elapsed);
    }

    /// <summary>Streams a SQLite query into a PostgreSQL table by binary COPY, column by column with the given types.</summary>
    private static void Copy(SqliteConnection src, NpgsqlConnection dst, string select, string into, NpgsqlDbType[] types)
    {
        using var cmd = src.CreateCommand();
        cmd.CommandText = select;
        using var r = cmd.ExecuteReader();
        using var copy = dst.BeginBinaryImport($"COPY {into} FROM STDIN (FORMAT BINARY)");
        copy.Timeout = Timeout.InfiniteTimeSpan;
        while (r.Read())
        {
            copy.StartRow();
            for (var k = 0; k < types.Length; k++)
            {
                if (r.IsDBNull(k)) { copy.WriteNull(); continue; }
                switch (types[k])
                {
                    case NpgsqlDbType.Bigint: copy.Write(r.GetInt64(k), NpgsqlDbType.Bigint); break;
                    case NpgsqlDbType.Integer: copy.Write(r.GetInt32(k), NpgsqlDbType.Integer); break;
                    case NpgsqlDbType.Smallint: copy.Write(r.GetInt16(k), NpgsqlDbType.Smallint); break;
                    case NpgsqlDbType.Real: copy.Write((float)r.GetDouble(k), NpgsqlDbType.Real); break;
                    case NpgsqlDbType.Double: copy.Write(r.GetDouble(k), NpgsqlDbType.Double); break;
                    case NpgsqlDbType.Bytea: copy.Write((byte[])r.GetValue(k), NpgsqlDbType.Bytea); break;
                    case NpgsqlDbType.TimestampTz:
                        copy.Write(DateTimeOffset.ParseExact(r.GetString(k), "o", CultureInfo.InvariantCulture).UtcDateTime, NpgsqlDbType.TimestampTz); break;
                    default: copy.Write(Convert.ToString(r.GetValue(k), CultureInfo.InvariantCulture)!, types[k]); break;
                }
            }
        }
        copy.Complete();
    }

    private static void SetSequence(NpgsqlConnection c, NpgsqlTransaction tx, string table, string column, long last) =>
        Exec(c, tx, last > 0
            ? $"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), {last}, true)"
            : $"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), 1, false)");

    private static long Count(NpgsqlConnection c, NpgsqlTransaction tx, string table) => (long)Scalar(c, tx, $"SELECT COUNT(*) FROM {table}")!;

    private static long SqliteLong(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = new SqliteCommand(sql, c, tx);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static object? Scalar(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        return cmd.ExecuteScalar();
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }
}
