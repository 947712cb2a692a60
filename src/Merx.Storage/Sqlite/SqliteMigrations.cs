using Microsoft.Data.Sqlite;

namespace Merx.Storage.Sqlite;

/// <summary>
/// The SQLite schema as an ordered list of migrations. A file records the versions applied in
/// <c>schema_version</c>; opening applies the missing ones (each in its own transaction) and
/// refuses a file written by a newer Merx. Append new migrations; never edit a shipped one.
/// </summary>
internal static class SqliteMigrations
{
    private static readonly string[] Steps =
    [
        // 1: users, items (dense integer keys, external ids unique), events (each user's events
        //    chained newest-first through users.last_seq and events.prev_seq), models, imports, meta.
        """
        CREATE TABLE users(
            id INTEGER PRIMARY KEY,
            ext_id TEXT NOT NULL UNIQUE,
            attributes TEXT,
            last_seq INTEGER);
        CREATE TABLE items(
            id INTEGER PRIMARY KEY,
            ext_id TEXT NOT NULL UNIQUE,
            cataloged INTEGER NOT NULL DEFAULT 0,
            title TEXT, description TEXT, category_path TEXT, brand TEXT, shop TEXT,
            price REAL, tags TEXT, attributes TEXT, created_at TEXT,
            in_stock INTEGER NOT NULL DEFAULT 1);
        CREATE TABLE events(
            seq INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            item_id INTEGER,
            kind INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            value REAL NOT NULL,
            session TEXT,
            query TEXT,
            prev_seq INTEGER);
        CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta(key, value) VALUES('next_seq', 1);
        CREATE TABLE models(
            version INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            metrics TEXT NOT NULL,
            size INTEGER NOT NULL,
            payload BLOB NOT NULL);
        CREATE INDEX models_name ON models(name, version);
        CREATE TABLE imports(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            summary TEXT NOT NULL,
            accepted INTEGER NOT NULL,
            skipped INTEGER NOT NULL);
        """,
        // 2: the serving side: every served recommendation (for feedback attribution and A/B
        //    metrics), the feedback on it, and opaque state blobs (bandit policies).
        """
        CREATE TABLE served(
            id TEXT PRIMARY KEY,
            user_ext TEXT NOT NULL,
            at INTEGER NOT NULL,
            model TEXT,
            path TEXT NOT NULL,
            variant TEXT,
            items TEXT NOT NULL,
            explored TEXT NOT NULL);
        CREATE INDEX served_user ON served(user_ext);
        CREATE TABLE feedback(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            rec_id TEXT NOT NULL,
            user_ext TEXT NOT NULL,
            item TEXT NOT NULL,
            kind INTEGER NOT NULL,
            at INTEGER NOT NULL,
            value REAL NOT NULL);
        CREATE INDEX feedback_rec ON feedback(rec_id);
        CREATE INDEX feedback_user ON feedback(user_ext);
        CREATE TABLE state(key TEXT PRIMARY KEY, value BLOB NOT NULL, updated_at INTEGER NOT NULL);
        """,
        // 3: the user change feed (IUserChangeFeed): deletions and renames with a sequence number that
        //    is never reused (AUTOINCREMENT, also after pruning), the old id only as a one-way hash.
        """
        CREATE TABLE user_changes(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind INTEGER NOT NULL,
            user_hash INTEGER NOT NULL,
            new_id TEXT,
            at INTEGER NOT NULL);
        CREATE INDEX user_changes_at ON user_changes(at);
        CREATE INDEX user_changes_user ON user_changes(user_hash);
        CREATE INDEX user_changes_new_id ON user_changes(new_id) WHERE new_id IS NOT NULL;
        """,
        // 4: pre-trained item vectors (issue #19) by encoder and content hash: an item's vector is
        //    found through the hash of its current text, so a changed item simply has none yet.
        """
        CREATE TABLE item_vectors(
            encoder TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY(encoder, content_hash)) WITHOUT ROWID;
        """,
        // 5: one customer across platforms (issue 22): the platform an event came from, and user links
        //    (ids of one person: an app's device id, the web shop's account) as groups of user keys, so a
        //    rename (key rotation) keeps them and a deletion drops the row with the user.
        """
        ALTER TABLE events ADD COLUMN platform TEXT;
        CREATE TABLE user_links(
            user_id INTEGER PRIMARY KEY,
            grp INTEGER NOT NULL);
        CREATE INDEX user_links_grp ON user_links(grp);
        """,
        // 6: what off-policy evaluation and the exploration figures by user group need of a served
        //    list (issue #23): the user's group and the policy's logging record (candidates, exploit
        //    ranks, propensities) as JSON; both null on lists served before.
        """
        ALTER TABLE served ADD COLUMN user_group TEXT;
        ALTER TABLE served ADD COLUMN logging TEXT;
        CREATE INDEX served_at ON served(at);
        """,
        // 7: an item's image (issue #19): the content hash of its image for an image encoder, the key of its
        //    vector in item_vectors; kept apart from the item's fields, so an upsert of the item keeps it and
        //    deleting the catalog entry clears it.
        """
        ALTER TABLE items ADD COLUMN image_encoder TEXT;
        ALTER TABLE items ADD COLUMN image_hash TEXT;
        """,
        // 8: model payloads larger than one blob (issue #21: a 10M-item Transformer's is 3.2 GB, SQLite's blob limit 1 GB):
        //    past one chunk a payload goes to numbered chunk rows (ModelChunks), and models.chunks says how many (0: the
        //    payload is in models.payload, as every earlier version's is).
        """
        ALTER TABLE models ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE model_chunks(
            version INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            bytes BLOB NOT NULL,
            PRIMARY KEY(version, seq));
        """,
    ];

    /// <summary>The version this build writes.</summary>
    public static int Latest => Steps.Length;

    /// <summary>Brings the file to <see cref="Latest"/>; returns the resulting version.</summary>
    public static int Apply(SqliteConnection connection, string path)
    {
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        var current = Current(connection);
        if (current > Latest) throw new NotSupportedException(TooNew(path, current));
        for (var v = current + 1; v <= Latest; v++)
        {
            using var tx = connection.BeginTransaction();
            Execute(connection, tx, Steps[v - 1]);
            using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO schema_version(version, applied_at) VALUES($v, $at)";
            cmd.Parameters.AddWithValue("$v", v);
            cmd.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("o"));
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
        return Current(connection);
    }

    /// <summary>What a file written by a newer Merx is told (opening it here, backing it up or restoring it).</summary>
    internal static string TooNew(string path, int version) =>
        $"store '{path}' has schema version {version}, newer than this Merx understands ({Latest}); open it with a newer Merx";

    /// <summary>The highest migration recorded in the file (0 when none); the file must have the schema_version table.</summary>
    internal static int Current(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    internal static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
