using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>
/// Deletion on request and user renames (key rotation). A deletion or rename is recorded in the user
/// change feed in the same transaction (see <see cref="RecordUserChange"/>). PostgreSQL keeps deleted
/// rows' old versions until VACUUM reclaims them (autovacuum, within minutes on a busy table):
/// <see cref="EraseFreedSpace"/> vacuums the tables that hold users' data at once, and with rebuild rewrites
/// them (VACUUM FULL), which <c>merx forget</c> and key rotation run. A plain vacuum after every HTTP
/// deletion would scan every events partition's visibility map per request, so the endpoint leaves it to autovacuum.
/// </summary>
public sealed partial class PostgresStore
{
    public long DeleteUser(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        long removed = 0;
        var any = false;
        using var c = Connect();
        using (var tx = c.BeginTransaction())
        {
            // Served lists and feedback may name a user who has no events or profile (recommendations for a new visitor).
            if (Scalar(c, tx, "SELECT id FROM users WHERE ext_id = $1 FOR UPDATE", userId) is long key)
            {
                Exec(c, tx, $"SELECT pg_advisory_xact_lock({Scoped(FeedLock)})");
                UnlinkKey(c, tx, key, userId);
                removed = Exec(c, tx, "DELETE FROM events WHERE user_id = $1", key);
                Exec(c, tx, "DELETE FROM users WHERE id = $1", key);
                any = true;
            }
            any |= Exec(c, tx, "DELETE FROM served WHERE user_ext = $1", userId) > 0;
            any |= Exec(c, tx, "DELETE FROM feedback WHERE user_ext = $1", userId) > 0;
            any |= Exec(c, tx, "DELETE FROM bandit_log WHERE user_ext = $1", userId) > 0;
            // Recorded also when nothing was stored: another process may still hold the user in memory (an unwritten served list).
            RecordDeletion(c, tx, userId);
            tx.Commit();
        }
        NoteOwnUserChange();
        return any ? removed : 0;
    }

    public int RenameUsers(IReadOnlyDictionary<string, string> renames, (string Key, string Expected, string Value)? setting = null)
    {
        ArgumentNullException.ThrowIfNull(renames);
        if (setting is { } check) SettingValue.Check(check.Value);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        if (setting is { } s && Exec(c, tx, "UPDATE settings SET value = $1 WHERE key = $2 AND value = $3", s.Value, s.Key, s.Expected) != 1)
            throw new InvalidOperationException($"setting '{s.Key}' no longer holds '{s.Expected}' (another writer changed it); nothing was renamed");
        var n = 0;
        foreach (var (from, to) in renames)
        {
            ArgumentException.ThrowIfNullOrEmpty(to);
            if (from == to) continue;
            if (Scalar(c, tx, "SELECT 1 FROM users WHERE ext_id = $1", to) is not null)
                throw new ArgumentException($"cannot rename a user to '{to}': that id already exists; nothing was renamed");
            if (!RenameOne(c, tx, from, to)) continue;
            n++;
        }
        tx.Commit();
        if (n > 0) NoteOwnUserChange();
        return n;
    }

    /// <summary>Renames one user in users, served lists and feedback and records the change; false when <paramref name="from"/> is unknown.</summary>
    private bool RenameOne(NpgsqlConnection c, NpgsqlTransaction tx, string from, string to)
    {
        if (Exec(c, tx, "UPDATE users SET ext_id = $1 WHERE ext_id = $2", to, from) == 0) return false;
        Exec(c, tx, "UPDATE served SET user_ext = $1 WHERE user_ext = $2", to, from);
        Exec(c, tx, "UPDATE feedback SET user_ext = $1 WHERE user_ext = $2", to, from);
        Exec(c, tx, "UPDATE bandit_log SET user_ext = $1 WHERE user_ext = $2", to, from);
        RecordUserChange(c, tx, UserChangeKind.Renamed, from, to);
        return true;
    }

    public IReadOnlyList<(string From, string To)> RekeyUsers(IReadOnlyList<UserRekey> users)
    {
        StoreChecks.Rekeys(users);
        if (users.Count == 0) return [];
        using var c = Connect();
        // Reads for the whole batch first: the common case (every user already current, or new) opens no write transaction.
        var current = ExistingUsers(c, null, users.Select(u => u.Current));
        var notCurrent = users.Where(u => u.Older.Count > 0 && !current.Contains(u.Current)).ToArray();
        if (notCurrent.Length == 0) return [];
        var older = ExistingUsers(c, null, notCurrent.SelectMany(u => u.Older));
        var todo = notCurrent.Where(u => u.Older.Any(older.Contains)).ToArray();
        if (todo.Length == 0) return [];
        var renamed = new List<(string From, string To)>();
        using (var tx = c.BeginTransaction())
        {
            foreach (var u in todo)
            {
                if (Scalar(c, tx, "SELECT 1 FROM users WHERE ext_id = $1", u.Current) is not null) continue; // another writer got there first
                foreach (var from in u.Older)
                {
                    if (from == u.Current || !RenameOne(c, tx, from, u.Current)) continue;
                    renamed.Add((from, u.Current));
                    break;
                }
            }
            tx.Commit();
        }
        if (renamed.Count > 0) NoteOwnUserChange();
        return renamed;
    }

    private static HashSet<string> ExistingUsers(NpgsqlConnection c, NpgsqlTransaction? tx, IEnumerable<string> ids)
    {
        using var cmd = Command(c, tx, "SELECT ext_id FROM users WHERE ext_id = ANY($1)", (object)ids.Distinct(StringComparer.Ordinal).ToArray());
        using var r = cmd.ExecuteReader();
        var found = new HashSet<string>(StringComparer.Ordinal);
        while (r.Read()) found.Add(r.GetString(0));
        return found;
    }

    public IReadOnlyDictionary<string, long> UsersByIdPrefix()
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT substr(ext_id, 1, strpos(ext_id, '_')) AS p, COUNT(*) FROM users GROUP BY p");
        using var r = cmd.ExecuteReader();
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        while (r.Read()) result[r.GetString(0)] = r.GetInt64(1);
        return result;
    }

    public IReadOnlyDictionary<string, long> UsersByAttribute(string attribute)
    {
        ArgumentException.ThrowIfNullOrEmpty(attribute);
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT a.value, COUNT(*) FROM users u, jsonb_each_text(u.attributes::jsonb) a WHERE u.attributes IS NOT NULL AND a.key = $1 GROUP BY a.value", attribute);
        using var r = cmd.ExecuteReader();
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        while (r.Read()) if (!r.IsDBNull(0)) result[r.GetString(0)] = r.GetInt64(1);
        return result;
    }

    public void EraseFreedSpace(bool rebuild)
    {
        using var c = Connect();
        Vacuum(c, rebuild);
    }

    /// <summary>VACUUM (or VACUUM FULL) of the tables that hold users' data (outside any transaction, as PostgreSQL requires).</summary>
    private static void Vacuum(NpgsqlConnection c, bool full)
    {
        using var cmd = new NpgsqlCommand($"VACUUM {(full ? "FULL " : "")}events, users, served, feedback, bandit_log, user_changes", c) { CommandTimeout = 0 };
        cmd.ExecuteNonQuery();
    }
}
