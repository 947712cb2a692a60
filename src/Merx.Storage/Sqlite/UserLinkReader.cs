using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// Reads link groups (table <c>user_links</c>) through two statements prepared once per connection, like
/// <see cref="UserChainReader"/>: the writing connection (inside its transactions too) and each read connection have one.
/// </summary>
internal sealed class UserLinkReader(sqlite3 db) : IDisposable
{
    private sqlite3_stmt? _group, _members;

    /// <summary>The ids of the user's link group in ordinal order, itself included; null when the user is not linked (or unknown).</summary>
    public List<string>? GroupOf(string userId)
    {
        _group ??= RawSql.Prepare(db, "SELECT l.grp FROM user_links l JOIN users u ON u.id = l.user_id WHERE u.ext_id = ?1");
        long? grp = null;
        try
        {
            RawSql.BindText(_group, 1, userId);
            var rc = raw.sqlite3_step(_group);
            if (rc == raw.SQLITE_ROW) grp = raw.sqlite3_column_int64(_group, 0);
            else if (rc != raw.SQLITE_DONE) RawSql.Fail(db, rc, "reading a user's link group");
        }
        finally { raw.sqlite3_reset(_group); }
        return grp is { } g ? Members(g) : null;
    }

    /// <summary>The ids in group <paramref name="grp"/>, in ordinal order.</summary>
    public List<string> Members(long grp)
    {
        _members ??= RawSql.Prepare(db, "SELECT u.ext_id FROM user_links l JOIN users u ON u.id = l.user_id WHERE l.grp = ?1");
        var members = new List<string>();
        try
        {
            raw.sqlite3_bind_int64(_members, 1, grp);
            int rc;
            while ((rc = raw.sqlite3_step(_members)) == raw.SQLITE_ROW) members.Add(raw.sqlite3_column_text(_members, 0).utf8_to_string());
            if (rc != raw.SQLITE_DONE) RawSql.Fail(db, rc, "reading a link group's members");
        }
        finally { raw.sqlite3_reset(_members); }
        members.Sort(StringComparer.Ordinal);
        return members;
    }

    public void Dispose()
    {
        _group?.Dispose();
        _members?.Dispose();
    }
}
