using Microsoft.Data.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>
/// SQL run straight on a store file, past the store: to look at what a backup holds, or to plant what a
/// command must refuse (a schema from a newer Merx). Compiled into Merx.Cli.Tests too (linked).
/// </summary>
internal static class StoreFile
{
    /// <summary>Runs <paramref name="sql"/> on its own connection; returns the first column of the first row, if any.</summary>
    public static object? Sql(string path, string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
