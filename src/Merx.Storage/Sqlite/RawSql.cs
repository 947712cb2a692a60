using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// Thin helpers over SQLitePCL's raw API for the bulk-append path: binding through
/// Microsoft.Data.Sqlite's parameters boxes every value, and the raw statements bind from
/// spans without allocating per row.
/// </summary>
internal static class RawSql
{
    public static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var stmt);
        if (rc != raw.SQLITE_OK) Fail(db, rc, "preparing " + sql);
        return stmt;
    }

    /// <summary>Binds text (never NULL: an empty span would bind NULL through the span overload).</summary>
    public static void BindText(sqlite3_stmt stmt, int index, string value)
    {
        var rc = value.Length == 0 ? raw.sqlite3_bind_text(stmt, index, "") : raw.sqlite3_bind_text16(stmt, index, value.AsSpan());
        if (rc != raw.SQLITE_OK) throw new SqliteException($"binding parameter {index} failed", rc);
    }

    public static void BindTextOrNull(sqlite3_stmt stmt, int index, string? value)
    {
        if (value is null) raw.sqlite3_bind_null(stmt, index);
        else BindText(stmt, index, value);
    }

    public static void Exec(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_exec(db, sql);
        if (rc != raw.SQLITE_OK) Fail(db, rc, sql);
    }

    public static long ScalarInt64(sqlite3 db, string sql)
    {
        using var stmt = Prepare(db, sql);
        var rc = raw.sqlite3_step(stmt);
        if (rc == raw.SQLITE_ROW) return raw.sqlite3_column_int64(stmt, 0);
        if (rc == raw.SQLITE_DONE) return 0;
        Fail(db, rc, sql);
        return 0;
    }

    public static void Fail(sqlite3 db, int rc, string what) =>
        throw new SqliteException($"SQLite error {rc} while {what}: {raw.sqlite3_errmsg(db).utf8_to_string()}", rc);
}
