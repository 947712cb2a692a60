using Merx.Storage;
using Merx.Storage.Postgres;
using Npgsql;

namespace Merx.Server.Tests;

/// <summary>The PostgreSQL server the replica tests use (<c>MERX_TEST_POSTGRES</c>), and dropping what a test made there.</summary>
internal static class PostgresTestServer
{
    /// <summary>The configured server; skips the calling test with a message where none is.</summary>
    public static PostgresLocation Location()
    {
        var url = Environment.GetEnvironmentVariable("MERX_TEST_POSTGRES");
        Skip.If(string.IsNullOrEmpty(url), "MERX_TEST_POSTGRES is not set: set it to postgres://USER@HOST:PORT/DATABASE (.ci/run starts a server) to run the PostgreSQL replica tests");
        return (PostgresLocation)StoreLocation.Parse(url!);
    }

    public static void DropSchema(PostgresLocation location, string schema) =>
        Admin(location, location.Database, $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");

    public static void DropDatabase(PostgresLocation location, string database)
    {
        NpgsqlConnection.ClearAllPools();
        Admin(location, "postgres", $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    private static void Admin(PostgresLocation location, string database, string sql)
    {
        var cs = PostgresStore.ConnectionString(location, new PostgresStoreOptions());
        cs.Pooling = false;
        cs.Database = database;
        using var c = new NpgsqlConnection(cs.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }
}
