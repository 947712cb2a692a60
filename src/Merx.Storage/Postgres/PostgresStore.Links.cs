using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>
/// User links (issue 22), table <c>user_links</c>, as in SQLite: one row per linked user key with its group's
/// label. Writers take the change feed's advisory lock first (every link change is recorded there anyway), so
/// two replicas linking at once merge groups one after the other.
/// </summary>
public sealed partial class PostgresStore
{
    public IReadOnlyList<string> LinkUsers(string userId, string otherId)
    {
        UserLinkRules.CheckPair(userId, otherId);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        Exec(c, tx, $"SELECT pg_advisory_xact_lock({Scoped(FeedLock)})");
        var a = EnsureUserKey(c, tx, userId);
        var b = EnsureUserKey(c, tx, otherId);
        var ga = Scalar(c, tx, "SELECT grp FROM user_links WHERE user_id = $1", a) as long?;
        var gb = Scalar(c, tx, "SELECT grp FROM user_links WHERE user_id = $1", b) as long?;
        long grp;
        if (ga is { } x && gb == x) grp = x;
        else
        {
            UserLinkRules.CheckSize(GroupSize(c, tx, ga) + GroupSize(c, tx, gb));
            grp = ga is { } g1 && gb is { } g2 ? Math.Min(g1, g2)
                : ga ?? gb ?? (long)Scalar(c, tx, "SELECT COALESCE(MAX(grp), 0) + 1 FROM user_links")!;
            Exec(c, tx, "INSERT INTO user_links(user_id, grp) VALUES($1, $3), ($2, $3) ON CONFLICT(user_id) DO NOTHING", a, b, grp);
            Exec(c, tx, "UPDATE user_links SET grp = $1 WHERE grp IN ($2, $3)", grp, ga ?? grp, gb ?? grp);
        }
        var members = GroupMembers(c, tx, grp);
        foreach (var m in members) RecordUserChange(c, tx, UserChangeKind.Relinked, m, null);
        tx.Commit();
        NoteOwnUserChange();
        return members;
    }

    public IReadOnlyList<string> UnlinkUser(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        Exec(c, tx, $"SELECT pg_advisory_xact_lock({Scoped(FeedLock)})");
        if (Scalar(c, tx, "SELECT id FROM users WHERE ext_id = $1", userId) is not long key) return [];
        var others = UnlinkKey(c, tx, key, userId);
        tx.Commit();
        if (others.Count > 0) NoteOwnUserChange();
        return others;
    }

    public IReadOnlyList<string> LinkedUsers(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        using var c = Connect();
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        return Scalar(c, tx, "SELECT l.grp FROM user_links l JOIN users u ON u.id = l.user_id WHERE u.ext_id = $1", userId) is long grp
            ? GroupMembers(c, tx, grp) : [userId];
    }

    /// <summary>Takes a user key out of its group in the caller's transaction (which holds the feed's lock), recording the change for every member; returns the others' ids.</summary>
    private List<string> UnlinkKey(NpgsqlConnection c, NpgsqlTransaction tx, long key, string userId)
    {
        if (Scalar(c, tx, "SELECT grp FROM user_links WHERE user_id = $1", key) is not long grp) return [];
        var members = GroupMembers(c, tx, grp);
        Exec(c, tx, "DELETE FROM user_links WHERE user_id = $1", key);
        if (members.Count <= 2) Exec(c, tx, "DELETE FROM user_links WHERE grp = $1", grp);
        foreach (var m in members) RecordUserChange(c, tx, UserChangeKind.Relinked, m, null);
        members.Remove(userId);
        return members;
    }

    /// <summary>Linked user key → the key of its group's first member (lowest key): training reads a group as that one user.</summary>
    private static Dictionary<long, long> LinkCanonicalKeys(NpgsqlConnection c, NpgsqlTransaction tx)
    {
        var map = new Dictionary<long, long>();
        using var cmd = Command(c, tx, "SELECT user_id, MIN(user_id) OVER (PARTITION BY grp) FROM user_links");
        using var r = cmd.ExecuteReader();
        while (r.Read()) map[r.GetInt64(0)] = r.GetInt64(1);
        return map;
    }

    private static long EnsureUserKey(NpgsqlConnection c, NpgsqlTransaction tx, string id) =>
        Scalar(c, tx, "SELECT id FROM users WHERE ext_id = $1", id) as long?
        ?? (long)Scalar(c, tx, "INSERT INTO users(ext_id) VALUES($1) ON CONFLICT (ext_id) DO UPDATE SET ext_id = EXCLUDED.ext_id RETURNING id", id)!;

    private static long GroupSize(NpgsqlConnection c, NpgsqlTransaction tx, long? grp) =>
        grp is { } g ? (long)Scalar(c, tx, "SELECT COUNT(*) FROM user_links WHERE grp = $1", g)! : 1;

    private static List<string> GroupMembers(NpgsqlConnection c, NpgsqlTransaction tx, long grp)
    {
        var members = new List<string>();
        using var cmd = Command(c, tx, "SELECT u.ext_id FROM user_links l JOIN users u ON u.id = l.user_id WHERE l.grp = $1", grp);
        using var r = cmd.ExecuteReader();
        while (r.Read()) members.Add(r.GetString(0));
        members.Sort(StringComparer.Ordinal);
        return members;
    }
}
