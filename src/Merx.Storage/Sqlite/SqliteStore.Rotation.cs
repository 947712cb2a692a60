namespace Merx.Storage.Sqlite;

/// <summary>
/// Lazy key rotation: renaming a returning user from an older key's pseudonym to the current one,
/// counting users per key version, and swapping several settings at once (the key fingerprint and the
/// list of retired ones).
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>Shortest time between two checkpoints triggered by renames (each costs a sync of the file).</summary>
    private const long RenameCheckpointIntervalMs = 1000;
    private long _lastRenameCheckpoint = long.MinValue / 2;

    public IReadOnlyList<(string From, string To)> RekeyUsers(IReadOnlyList<UserRekey> users)
    {
        StoreChecks.Rekeys(users);
        if (users.Count == 0) return [];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Reads for the whole batch (current ids, then the older ids of users not current): the common
            // case (every user already current, or new) opens no write transaction.
            var current = ExistingUsers(users.Select(u => u.Current));
            var notCurrent = users.Where(u => u.Older.Count > 0 && !current.Contains(u.Current)).ToArray();
            if (notCurrent.Length == 0) return [];
            var older = ExistingUsers(notCurrent.SelectMany(u => u.Older));
            var todo = notCurrent.Where(u => u.Older.Any(older.Contains)).ToArray();
            if (todo.Length == 0) return [];
            var renamed = new List<(string From, string To)>();
            using (var tx = BeginWrite())
            {
                try
                {
                    // One prepared statement per table for the whole batch (preparing costs more than running them).
                    using var exists = Prepared("SELECT 1 FROM users WHERE ext_id = $t", tx);
                    using var renameUser = Prepared("UPDATE users SET ext_id = $t WHERE ext_id = $f", tx);
                    using var renameServed = Prepared("UPDATE served SET user_ext = $t WHERE user_ext = $f", tx);
                    using var renameFeedback = Prepared("UPDATE feedback SET user_ext = $t WHERE user_ext = $f", tx);
                    foreach (var u in todo)
                    {
                        exists.Parameters["$t"].Value = u.Current;
                        if (exists.ExecuteScalar() is not null) continue; // another writer got there first
                        foreach (var from in u.Older)
                        {
                            if (from == u.Current || Rename(renameUser, from, u.Current) == 0) continue;
                            Rename(renameServed, from, u.Current);
                            Rename(renameFeedback, from, u.Current);
                            RecordUserChange(tx, UserChangeKind.Renamed, from, u.Current);
                            renamed.Add((from, u.Current));
                            break;
                        }
                    }
                    tx.Commit();
                    foreach (var (from, to) in renamed) _users.Rename(from, to);
                }
                catch
                {
                    CacheCouldBeWrong();
                    throw;
                }
            }
            // The old ids' page images stay in the write-ahead log until a checkpoint; one per second at most keeps renames cheap.
            var now = Environment.TickCount64;
            if (renamed.Count > 0 && now - _lastRenameCheckpoint >= RenameCheckpointIntervalMs)
            {
                _lastRenameCheckpoint = now;
                TryCheckpoint();
            }
            return renamed;
        }
    }

    private Microsoft.Data.Sqlite.SqliteCommand Prepared(string sql, Microsoft.Data.Sqlite.SqliteTransaction tx)
    {
        var cmd = Command(sql, tx);
        cmd.Parameters.Add("$t", Microsoft.Data.Sqlite.SqliteType.Text);
        if (sql.Contains("$f", StringComparison.Ordinal)) cmd.Parameters.Add("$f", Microsoft.Data.Sqlite.SqliteType.Text);
        return cmd;
    }

    private static int Rename(Microsoft.Data.Sqlite.SqliteCommand cmd, string from, string to)
    {
        cmd.Parameters["$f"].Value = from;
        cmd.Parameters["$t"].Value = to;
        return cmd.ExecuteNonQuery();
    }

    private HashSet<string> ExistingUsers(IEnumerable<string> ids)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(ids.Distinct(StringComparer.Ordinal).ToArray());
        var found = new HashSet<string>(StringComparer.Ordinal);
        using var cmd = Command("SELECT ext_id FROM users WHERE ext_id IN (SELECT value FROM json_each($ids))");
        cmd.Parameters.AddWithValue("$ids", json);
        using var r = cmd.ExecuteReader();
        while (r.Read()) found.Add(r.GetString(0));
        return found;
    }

    public IReadOnlyDictionary<string, long> UsersByIdPrefix()
    {
        lock (_gate)
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            using var cmd = Command("SELECT substr(ext_id, 1, instr(ext_id, '_')) AS p, COUNT(*) FROM users GROUP BY p");
            using var r = cmd.ExecuteReader();
            while (r.Read()) result[r.GetString(0)] = r.GetInt64(1);
            return result;
        }
    }

    public bool ReplaceSettings(IReadOnlyList<SettingSwap> swaps)
    {
        ArgumentNullException.ThrowIfNull(swaps);
        foreach (var s in swaps)
        {
            ArgumentNullException.ThrowIfNull(s);
            ArgumentException.ThrowIfNullOrEmpty(s.Key);
            CheckSettingValue(s.Value);
        }
        if (swaps.Select(s => s.Key).Distinct(StringComparer.Ordinal).Count() != swaps.Count) throw new ArgumentException("each setting may be swapped once per call", nameof(swaps));
        lock (_gate)
        {
            using var tx = BeginWrite();
            foreach (var s in swaps)
            {
                var changed = s.Expected is null
                    ? NonQuery("INSERT OR IGNORE INTO meta(key, value) VALUES($k, $v)", tx, ("$k", SettingPrefix + s.Key), ("$v", s.Value))
                    : NonQuery("UPDATE meta SET value = $v WHERE key = $k AND value = $e", tx, ("$k", SettingPrefix + s.Key), ("$v", s.Value), ("$e", s.Expected));
                if (changed != 1) return false; // disposing the transaction rolls back the swaps already made
            }
            tx.Commit();
            return true;
        }
    }

    /// <summary>Like <see cref="Checkpoint"/>, but a reader holding the log only postpones the truncation (to the next checkpoint) instead of failing the call.</summary>
    private void TryCheckpoint()
    {
        using var cmd = Command("PRAGMA wal_checkpoint(TRUNCATE)");
        using var r = cmd.ExecuteReader();
        r.Read();
    }
}
