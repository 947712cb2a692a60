using Microsoft.Data.Sqlite;

namespace Merx.Storage.Sqlite;

/// <summary>
/// User links (issue 22), table <c>user_links</c>: one row per linked user key with its group's label. Keys, not
/// ids, so a rename (key rotation) keeps the links and a deletion (which removes the key) drops them here.
/// </summary>
public sealed partial class SqliteStore
{
    public IReadOnlyList<string> LinkUsers(string userId, string otherId)
    {
        UserLinkRules.CheckPair(userId, otherId);
        lock (_gate)
        {
            var created = new List<(string Id, long Key)>();
            try
            {
                using var tx = BeginWrite();
                var a = EnsureUserKey(tx, userId, created);
                var b = EnsureUserKey(tx, otherId, created);
                var ga = Scalar("SELECT grp FROM user_links WHERE user_id = $k", tx, ("$k", a)) as long?;
                var gb = Scalar("SELECT grp FROM user_links WHERE user_id = $k", tx, ("$k", b)) as long?;
                long grp;
                if (ga is { } x && gb == x) grp = x;
                else
                {
                    UserLinkRules.CheckSize(GroupSize(tx, ga) + GroupSize(tx, gb));
                    grp = ga is { } g1 && gb is { } g2 ? Math.Min(g1, g2)
                        : ga ?? gb ?? (long)Scalar("SELECT COALESCE(MAX(grp), 0) + 1 FROM user_links", tx)!;
                    NonQuery("INSERT INTO user_links(user_id, grp) VALUES($a, $g), ($b, $g) ON CONFLICT(user_id) DO NOTHING", tx, ("$a", a), ("$b", b), ("$g", grp));
                    NonQuery("UPDATE user_links SET grp = $g WHERE grp IN ($x, $y)", tx, ("$g", grp), ("$x", ga ?? grp), ("$y", gb ?? grp));
                }
                var members = _links.Members(grp);
                foreach (var m in members) RecordUserChange(tx, UserChangeKind.Relinked, m, null);
                tx.Commit();
                foreach (var (id, key) in created) _users.Remember(id, key);
                return members;
            }
            catch
            {
                if (created.Count > 0) CacheCouldBeWrong();
                throw;
            }
        }
    }

    public IReadOnlyList<string> UnlinkUser(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        lock (_gate)
        {
            using var tx = BeginWrite();
            if (Scalar("SELECT id FROM users WHERE ext_id = $u", tx, ("$u", userId)) is not long key) return [];
            var others = UnlinkKey(tx, key, userId);
            tx.Commit();
            return others;
        }
    }

    public IReadOnlyList<string> LinkedUsers(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        if (_readers.TryRent() is { } reader)
        {
            try { return InReadTransaction(reader.Handle, () => reader.Links.GroupOf(userId) ?? [userId]); }
            finally { _readers.Return(reader); }
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return InReadTransaction(_handle, () => _links.GroupOf(userId) ?? [userId]);
        }
    }

    /// <summary>Takes a user key out of its group in the caller's transaction, recording the change for every member; returns the others' ids.</summary>
    private List<string> UnlinkKey(SqliteTransaction tx, long key, string userId)
    {
        if (Scalar("SELECT grp FROM user_links WHERE user_id = $k", tx, ("$k", key)) is not long grp) return [];
        var members = _links.Members(grp);
        NonQuery("DELETE FROM user_links WHERE user_id = $k", tx, ("$k", key));
        if (members.Count <= 2) NonQuery("DELETE FROM user_links WHERE grp = $g", tx, ("$g", grp));
        foreach (var m in members) RecordUserChange(tx, UserChangeKind.Relinked, m, null);
        members.Remove(userId);
        return members;
    }

    /// <summary>Linked user key → the key of its group's first member (lowest key): training reads a group as that one user.</summary>
    private Dictionary<long, long> LinkCanonicalKeys(SqliteTransaction tx)
    {
        var map = new Dictionary<long, long>();
        using var cmd = Command("SELECT l.user_id, g.first FROM user_links l JOIN (SELECT grp, MIN(user_id) AS first FROM user_links GROUP BY grp) g ON g.grp = l.grp", tx);
        using var r = cmd.ExecuteReader();
        while (r.Read()) map[r.GetInt64(0)] = r.GetInt64(1);
        return map;
    }

    private long EnsureUserKey(SqliteTransaction tx, string id, List<(string, long)> created)
    {
        if (Scalar("SELECT id FROM users WHERE ext_id = $u", tx, ("$u", id)) is long key) return key;
        key = (long)Scalar("INSERT INTO users(ext_id) VALUES($u) RETURNING id", tx, ("$u", id))!;
        created.Add((id, key));
        return key;
    }

    private long GroupSize(SqliteTransaction tx, long? grp) =>
        grp is { } g ? (long)Scalar("SELECT COUNT(*) FROM user_links WHERE grp = $g", tx, ("$g", g))! : 1;
}
