using Npgsql;

namespace Merx.Cli.Tests;

/// <summary>
/// The commands over a PostgreSQL store (issue 18), through the interface results are checked with:
/// `merx import --db postgres://…` then `merx stats --db postgres://… --json` gives the same users, items and
/// events as the SQLite path; `merx train` publishes there; `merx migrate` moves a SQLite shop. Each test uses
/// a database of its own, created by the first command (as a missing SQLite file is) and dropped afterwards.
/// Skipped with a message where <c>MERX_TEST_POSTGRES</c> names no server (<c>.ci/run</c> starts one).
/// </summary>
public sealed class PostgresCommandTests : CliTestBase
{
    private readonly List<string> _databases = [];
    private readonly string _server;

    public PostgresCommandTests() : base("merx-pg-cli-")
    {
        var url = Environment.GetEnvironmentVariable("MERX_TEST_POSTGRES");
        Skip.If(string.IsNullOrEmpty(url), "MERX_TEST_POSTGRES is not set: set it to postgres://USER@HOST:PORT/DATABASE (.ci/run starts a server) to run the PostgreSQL command tests");
        _server = url![..url.LastIndexOf('/')];
        File.WriteAllText(P("key"), "v1:postgres-command-tests-key-0123456789abcdef\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(P("key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Merx("generate", "--users", "200", "--items", "120", "--events", "6000", "--seed", "7", "--out", P("shop"));
    }

    private string NewDatabase()
    {
        var name = "merx_cli_" + Guid.NewGuid().ToString("N")[..12];
        _databases.Add(name);
        return $"{_server}/{name}";
    }

    [SkippableFact]
    public void Import_then_stats_gives_the_same_figures_as_sqlite_and_train_publishes_there()
    {
        var pg = NewDatabase();
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", P("s.db"), "--pseudonym-key-file", P("key")).Code);
        var (code, output, err) = Merx("import", "--data", P("shop"), "--db", pg, "--pseudonym-key-file", P("key"));
        Assert.True(code == 0, err);
        Assert.Contains("6,000 events", output);
        Assert.Equal(0, Merx("stats", "--db", P("s.db"), "--json", P("s.json")).Code);
        Assert.Equal(0, Merx("stats", "--db", pg, "--json", P("p.json")).Code);
        var (s, p) = (Json(P("s.json")), Json(P("p.json")));
        foreach (var key in new[] { "users", "items", "events", "catalog_items" })
            Assert.Equal(s.GetProperty(key).GetInt64(), p.GetProperty(key).GetInt64());
        Assert.Equal(6000, p.GetProperty("events").GetInt64());
        Assert.Equal(s.GetProperty("events_by_kind").ToString(), p.GetProperty("events_by_kind").ToString());

        Assert.Equal(0, Merx("train", "--db", pg, "--models", "pop", "--pseudonym-key-file", P("key")).Code);
        var (rc, recommended, _) = Merx("recommend", "--db", pg, "--user", "u1", "--n", "3", "--pseudonym-key-file", P("key"));
        Assert.Equal(0, rc);
        Assert.StartsWith("user u1: ", recommended);
        Assert.Contains("model pop", recommended);
    }

    [SkippableFact]
    public void Migrate_moves_a_sqlite_shop_whose_stats_then_match()
    {
        var pg = NewDatabase();
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", P("m.db"), "--pseudonym-key-file", P("key")).Code);
        var (code, output, err) = Merx("migrate", "--from", P("m.db"), "--to", pg);
        Assert.True(code == 0, err);
        Assert.Contains("events 6,000", output);
        Assert.Equal(0, Merx("stats", "--db", P("m.db"), "--json", P("a.json")).Code);
        Assert.Equal(0, Merx("stats", "--db", pg, "--json", P("b.json")).Code);
        Assert.Equal(File.ReadAllText(P("a.json")), File.ReadAllText(P("b.json")));
        var again = Merx("migrate", "--from", P("m.db"), "--to", pg);
        Assert.Equal(1, again.Code);
        Assert.Contains("is not empty", again.Err);
    }

    protected override void Cleanup()
    {
        if (_databases.Count == 0) return;
        NpgsqlConnection.ClearAllPools();
        using var c = new NpgsqlConnection(Storage.Postgres.PostgresStore.ConnectionString((Storage.PostgresLocation)Storage.StoreLocation.Parse(_server + "/postgres"), new()).ConnectionString);
        c.Open();
        foreach (var db in _databases)
        {
            using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)", c);
            cmd.ExecuteNonQuery();
        }
    }
}
