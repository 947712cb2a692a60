namespace Merx.Storage.Sqlite;

/// <summary>
/// Deletion on request, user renames (key rotation) and text settings. Text settings live in the
/// <c>meta</c> table under a <c>setting:</c> prefix (its value column has integer affinity, which keeps
/// non-numeric text as text; settings are always written with a non-numeric prefix such as <c>v1:</c>).
/// </summary>
public sealed partial class SqliteStore
{
    private const string SettingPrefix = "setting:";

    public long DeleteUser(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        long removed;
        lock (_gate)
        {
            var any = false;
            using (var tx = BeginWrite())
            {
                removed = 0;
                // Served lists and feedback may name a user who has no events or profile (recommendations for a new visitor).
                if (Scalar("SELECT id FROM users WHERE ext_id = $u", tx, ("$u", userId)) is long key)
                {
                    UnlinkKey(tx, key, userId);
                    removed = NonQuery(UserChain + " DELETE FROM events WHERE seq IN (SELECT seq FROM chain)", tx, ("$k", key));
                    NonQuery("DELETE FROM users WHERE id = $k", tx, ("$k", key));
                    any = true;
                }
                any |= NonQuery("DELETE FROM served WHERE user_ext = $u", tx, ("$u", userId)) > 0;
                any |= NonQuery("DELETE FROM feedback WHERE user_ext = $u", tx, ("$u", userId)) > 0;
                // Recorded also when nothing was stored: another process may still hold the user in memory (an unwritten served list).
                RecordDeletion(tx, userId);
                tx.Commit();
            }
            if (!any) return 0;
            _users.Forget(userId);
            Checkpoint();
        }
        return removed;
    }

    public int RenameUsers(IReadOnlyDictionary<string, string> renames, (string Key, string Expected, string Value)? setting = null)
    {
        ArgumentNullException.ThrowIfNull(renames);
        if (setting is { } check) CheckSettingValue(check.Value);
        lock (_gate)
        {
            using var tx = BeginWrite();
            try
            {
                if (setting is { } s && NonQuery("UPDATE meta SET value = $v WHERE key = $k AND value = $e", tx, ("$k", SettingPrefix + s.Key), ("$v", s.Value), ("$e", s.Expected)) != 1)
                    throw new InvalidOperationException($"setting '{s.Key}' no longer holds '{s.Expected}' (another writer changed it); nothing was renamed");
                var n = 0;
                foreach (var (from, to) in renames)
                {
                    ArgumentException.ThrowIfNullOrEmpty(to);
                    if (from == to) continue;
                    if (Scalar("SELECT 1 FROM users WHERE ext_id = $t", tx, ("$t", to)) is not null)
                        throw new ArgumentException($"cannot rename a user to '{to}': that id already exists; nothing was renamed");
                    if (NonQuery("UPDATE users SET ext_id = $t WHERE ext_id = $f", tx, ("$t", to), ("$f", from)) == 0) continue;
                    NonQuery("UPDATE served SET user_ext = $t WHERE user_ext = $f", tx, ("$t", to), ("$f", from));
                    NonQuery("UPDATE feedback SET user_ext = $t WHERE user_ext = $f", tx, ("$t", to), ("$f", from));
                    RecordUserChange(tx, UserChangeKind.Renamed, from, to);
                    n++;
                }
                tx.Commit();
                CacheCouldBeWrong();
                return n;
            }
            catch
            {
                CacheCouldBeWrong();
                throw;
            }
        }
    }

    public void EraseFreedSpace(bool rebuild)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (rebuild) RawSql.Exec(_handle, "VACUUM");
            Checkpoint();
        }
    }

    /// <summary>Copies the write-ahead log into the file and truncates it to zero bytes, so old page images do not linger in <c>-wal</c>.</summary>
    private void Checkpoint()
    {
        using var cmd = Command("PRAGMA wal_checkpoint(TRUNCATE)");
        using var r = cmd.ExecuteReader();
        if (r.Read() && r.GetInt64(0) != 0)
            throw new InvalidOperationException($"'{Path}': the write-ahead log could not be checkpointed (another connection is reading); deleted data may remain in {Path}-wal until the next checkpoint");
    }

    public IReadOnlyDictionary<string, long> UsersByAttribute(string attribute)
    {
        ArgumentException.ThrowIfNullOrEmpty(attribute);
        lock (_gate)
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            using var cmd = Command("SELECT a.value, COUNT(*) FROM users u, json_each(u.attributes) a WHERE u.attributes IS NOT NULL AND a.key = $k GROUP BY a.value");
            cmd.Parameters.AddWithValue("$k", attribute);
            using var r = cmd.ExecuteReader();
            while (r.Read()) if (!r.IsDBNull(0)) result[Convert.ToString(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!] = r.GetInt64(1);
            return result;
        }
    }

    public string? GetSetting(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        lock (_gate) return Scalar("SELECT value FROM meta WHERE key = $k", null, ("$k", SettingPrefix + key))?.ToString();
    }

    public string ClaimSetting(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        CheckSettingValue(value);
        lock (_gate)
        {
            using var tx = BeginWrite();
            NonQuery("INSERT OR IGNORE INTO meta(key, value) VALUES($k, $v)", tx, ("$k", SettingPrefix + key), ("$v", value));
            var stored = Scalar("SELECT value FROM meta WHERE key = $k", tx, ("$k", SettingPrefix + key))!.ToString()!;
            tx.Commit();
            return stored;
        }
    }

    public bool ReplaceSetting(string key, string expected, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(expected);
        CheckSettingValue(value);
        lock (_gate) return NonQuery("UPDATE meta SET value = $v WHERE key = $k AND value = $e", null, ("$k", SettingPrefix + key), ("$v", value), ("$e", expected)) == 1;
    }

    private static void CheckSettingValue(string value) => SettingValue.Check(value);
}
