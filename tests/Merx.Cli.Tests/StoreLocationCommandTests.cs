namespace Merx.Cli.Tests;

/// <summary>
/// <c>--db</c> values a command cannot open (issue 18): `merx import --db postgres://…` used to "succeed" by
/// creating a SQLite file under a folder named <c>postgres:</c>. Now an unreachable PostgreSQL database, and any
/// other scheme, fails with one clear line (no password in it) and writes nothing here.
/// </summary>
public sealed class StoreLocationCommandTests() : CliTestBase("merx-db-cli-")
{
    [Theory]
    [InlineData("postgres://postgres:s3cret@127.0.0.1:1/beauty", "merx: cannot open the PostgreSQL store postgres://postgres@127.0.0.1:1/beauty: ")]
    [InlineData("postgres://postgres@127.0.0.1:1/beauty", "merx: cannot open the PostgreSQL store postgres://postgres@127.0.0.1:1/beauty: ")]
    [InlineData("redis://x", "unsupported store location scheme 'redis://': give a SQLite file path (e.g. merx.db) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    public void Import_with_a_db_this_build_cannot_open_fails_and_creates_nothing(string db, string message)
    {
        File.WriteAllText(P("events.csv"), "user,item,kind,timestamp\nu1,i1,view,1700000000\nu2,i1,click,1700000001\n");
        var cwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = P("");   // a relative "postgres:/…" or "redis:/…" would land here
        try
        {
            var (code, output, err) = Merx("import", "--data", P("events.csv"), "--db", db);
            Assert.NotEqual(0, code);
            Assert.Contains(message, err);
            Assert.DoesNotContain("s3cret", output + err);
            Assert.DoesNotContain("imported", output);
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
        Assert.Equal([P("events.csv")], Directory.GetFileSystemEntries(P("")));
    }

    [Fact]
    public void Db_help_says_which_commands_create_a_missing_store()
    {
        Assert.Contains("(created if missing)", Merx("import", "--help").Out);
        foreach (var command in new[] { "stats", "train", "recommend", "serve", "forget", "pseudonym", "rotate-key" })
        {
            var help = Merx(command, "--help").Out;
            Assert.Contains("must exist", help);
            Assert.DoesNotContain("created if missing", help);
        }
    }
}
