using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema as an ordered list of migrations, like <see cref="Sqlite.SqliteMigrations"/>:
/// <c>schema_version</c> records the versions applied; opening applies the missing ones (all in
/// one transaction, under an advisory lock of the store's schema so that replicas starting together migrate once) and refuses a
/// database written by a newer Merx. Append new migrations; never edit a shipped one.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>Advisory lock key held while migrating ("merx-mig" as ASCII).</summary>
    private const long MigrationLock = 0x6d6572782d6d6967;

    private static readonly string[] Steps =
    [
        // 1: the whole store of SQLite's migrations 1–3. Events are partitioned by the month of their
        //    timestamp (see EventPartitions; a default partition takes timestamps outside years
        //    1970–9999) and indexed by (user_id, seq) for a user's latest events; no foreign keys on
        //    events (the store resolves the keys itself in the same transaction, like SQLite).
        """
        CREATE TABLE users(
            id BIGSERIAL PRIMARY KEY,
            ext_id TEXT NOT NULL UNIQUE,
            attributes TEXT,
            last_seq BIGINT);
        CREATE INDEX users_last_seq ON users(last_seq) WHERE last_seq IS NOT NULL;
        CREATE TABLE items(
            id BIGSERIAL PRIMARY KEY,
            ext_id TEXT NOT NULL UNIQUE,
            cataloged SMALLINT NOT NULL DEFAULT 0,
            title TEXT, description TEXT, category_path TEXT, brand TEXT, shop TEXT,
            price DOUBLE PRECISION, tags TEXT, attributes TEXT, created_at TEXT,
            in_stock INTEGER NOT NULL DEFAULT 1);
        CREATE TABLE events(
            seq BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            item_id BIGINT,
            kind SMALLINT NOT NULL,
            ts BIGINT NOT NULL,
            value REAL NOT NULL,
            session TEXT,
            query TEXT) PARTITION BY RANGE (ts);
        CREATE INDEX events_user ON events(user_id, seq);
        CREATE TABLE events_default PARTITION OF events DEFAULT;
        CREATE TABLE counters(name TEXT PRIMARY KEY, value BIGINT NOT NULL);
        INSERT INTO counters(name, value) VALUES('next_seq', 1), ('user_changes_pruned', 0);
        CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE models(
            version BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            sha256 TEXT NOT NULL,
            metrics TEXT NOT NULL,
            size BIGINT NOT NULL,
            payload BYTEA NOT NULL);
        CREATE INDEX models_name ON models(name, version);
        CREATE TABLE imports(
            id BIGSERIAL PRIMARY KEY,
            at TIMESTAMPTZ NOT NULL,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            summary TEXT NOT NULL,
            accepted BIGINT NOT NULL,
            skipped BIGINT NOT NULL);
        CREATE TABLE served(
            id TEXT PRIMARY KEY,
            n BIGSERIAL,
            user_ext TEXT NOT NULL,
            at BIGINT NOT NULL,
            model TEXT,
            path TEXT NOT NULL,
            variant TEXT,
            items JSONB NOT NULL,
            explored JSONB NOT NULL);
        CREATE INDEX served_user ON served(user_ext);
        CREATE INDEX served_at ON served(at);
        CREATE TABLE feedback(
            seq BIGSERIAL PRIMARY KEY,
            rec_id TEXT NOT NULL,
            user_ext TEXT NOT NULL,
            item TEXT NOT NULL,
            kind SMALLINT NOT NULL,
            at BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL);
        CREATE INDEX feedback_rec ON feedback(rec_id);
        CREATE INDEX feedback_user ON feedback(user_ext);
        CREATE TABLE state(key TEXT PRIMARY KEY, value BYTEA NOT NULL, updated_at BIGINT NOT NULL);
        CREATE TABLE user_changes(
            seq BIGSERIAL PRIMARY KEY,
            kind SMALLINT NOT NULL,
            user_hash BIGINT NOT NULL,
            new_id TEXT,
            at BIGINT NOT NULL);
        CREATE INDEX user_changes_at ON user_changes(at);
        CREATE INDEX user_changes_user ON user_changes(user_hash);
        CREATE INDEX user_changes_new_id ON user_changes(new_id) WHERE new_id IS NOT NULL;
        """,
        // 2: pre-trained item vectors (issue #19; SQLite's migration 4) by encoder and content hash.
        """
        CREATE TABLE item_vectors(
            encoder TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            vector BYTEA NOT NULL,
            PRIMARY KEY(encoder, content_hash));
        """,
        // 3: one customer across platforms (issue 22; SQLite's migration 5): the platform of an event, and user links.
        """
        ALTER TABLE events ADD COLUMN platform TEXT;
        CREATE TABLE user_links(
            user_id BIGINT PRIMARY KEY,
            grp BIGINT NOT NULL);
        CREATE INDEX user_links_grp ON user_links(grp);
        """,
        // 4: state replicas share (issue 18): the bandit policies' log of feedback and updates (applied by every
        //    replica in seq order, which the writers keep equal to commit order), and rate-limit counters per
        //    client and one-second window.
        """
        CREATE TABLE bandit_log(
            seq BIGSERIAL PRIMARY KEY,
            policy TEXT NOT NULL,
            instance TEXT NOT NULL,
            resolution BOOLEAN NOT NULL,
            user_ext TEXT NOT NULL,
            rec_id TEXT,
            item TEXT,
            clicked BOOLEAN NOT NULL,
            update BYTEA,
            at BIGINT NOT NULL);
        CREATE INDEX bandit_log_policy ON bandit_log(policy, seq);
        CREATE INDEX bandit_log_user ON bandit_log(user_ext);
        CREATE UNLOGGED TABLE rate_counts(
            client TEXT NOT NULL,
            win BIGINT NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY(client, win));
        """,
        // 5: a served list's user group and off-policy logging record (issue #23; SQLite's migration 6).
        """
        ALTER TABLE served ADD COLUMN user_group TEXT;
        ALTER TABLE served ADD COLUMN logging JSONB;
        """,
        // 6: an item's image link (issue #19; SQLite's migration 7): encoder and content hash of its image vector.
        """
        ALTER TABLE items ADD COLUMN image_encoder TEXT;
        ALTER TABLE items ADD COLUMN image_hash TEXT;
        """,
        // 7: model payloads larger than one BYTEA holds (issue #21; SQLite's migration 8): chunk rows past one chunk.
        """
        ALTER TABLE models ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE model_chunks(
            version BIGINT NOT NULL,
            seq INTEGER NOT NULL,
            bytes BYTEA NOT NULL,
            PRIMARY KEY(version, seq));
        """,
    ];

    /// <summary>The version this build writes.</summary>
    public static int Latest => Steps.Length;

    /// <summary>Brings the schema of <paramref name="c"/>'s search path to <see cref="Latest"/>; returns the resulting version.</summary>
    public static int Apply(NpgsqlConnection c, string where, string schema)
    {
        using (var tx = c.BeginTransaction())
        {
            Exec(c, tx, $"SELECT pg_advisory_xact_lock({PostgresStore.ScopedLockKey(MigrationLock, schema)})");
            Exec(c, tx, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)");
            var current = Current(c, tx);
            if (current > Latest) throw new NotSupportedException($"store {where} has schema version {current}, newer than this Merx understands ({Latest}); open it with a newer Merx");
            for (var v = current + 1; v <= Latest; v++)
            {
                Exec(c, tx, Steps[v - 1]);
                Exec(c, tx, $"INSERT INTO schema_version(version, applied_at) VALUES({v}, now())");
            }
            tx.Commit();
        }
        return Current(c, null);
    }

    internal static int Current(NpgsqlConnection c, NpgsqlTransaction? tx)
    {
        using var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", c, tx);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A migration step's time limit. A step on a large store, or the wait for the lock while another replica
    /// migrates, may take far longer than the 30 s that bounds a request's command; an opening store must not fail
    /// half-way for that (the transaction would roll back and the next start try again, but the start is lost).
    /// </summary>
    private const int StepTimeoutSeconds = 900;

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction? tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx) { CommandTimeout = StepTimeoutSeconds };
        cmd.ExecuteNonQuery();
    }
}
