using Merx.Storage.Sqlite;

namespace Merx.Storage.Tests;

/// <summary>
/// <c>--db</c> values (issue 18): file paths open SQLite, PostgreSQL URLs are parsed but refused by this
/// build, other schemes are refused; nothing is created for a refused value and no message carries a password.
/// </summary>
public sealed class StoreLocationTests : IDisposable
{
    private readonly SqliteBackend _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("merx.db")]
    [InlineData("./data/merx.db")]
    [InlineData("../shop/merx.db")]
    [InlineData("/var/lib/merx/merx.db")]
    [InlineData(@"C:\merx\merx.db")]
    [InlineData("C:/merx/merx.db")]
    [InlineData(@"\\server\share\merx.db")]
    [InlineData("postgres:merx.db")]
    [InlineData("data:2024/merx.db")]
    public void File_paths_are_sqlite_stores_kept_as_given(string db)
    {
        Assert.Equal(new SqliteLocation(db), StoreLocation.Parse(db));
    }

    [Theory]
    [InlineData("postgres://postgres@127.0.0.1:5432/beauty", "postgres", null, "127.0.0.1", 5432, "beauty")]
    [InlineData("postgres://merx@db.example.com/shop", "merx", null, "db.example.com", 5432, "shop")]
    [InlineData("postgres://merx:s3cret@db:6543/shop", "merx", "s3cret", "db", 6543, "shop")]
    [InlineData("postgresql://merx:p%40ss%2Fw0rd@localhost/shop_2", "merx", "p@ss/w0rd", "localhost", 5432, "shop_2")]
    [InlineData("POSTGRES://a:@[::1]:5433/b", "a", "", "::1", 5433, "b")]
    public void Postgres_urls_are_parsed_into_their_parts(string db, string user, string? password, string host, int port, string database)
    {
        Assert.Equal(new PostgresLocation(user, password, host, port, database), StoreLocation.Parse(db));
    }

    [Fact]
    public void A_postgres_location_prints_without_its_password()
    {
        var pg = StoreLocation.Parse("postgres://merx:s3cret@db:6543/shop");
        Assert.Equal("postgres://merx@db:6543/shop", pg.ToString());
        Assert.Equal("postgres://merx@[::1]:5432/shop", StoreLocation.Parse("postgres://merx:s3cret@[::1]/shop").ToString());
    }

    [Theory]
    [InlineData("postgres://db:5432/shop", "no USER")]
    [InlineData("postgres://merx:s3cret@db:5432/", "DATABASE")]
    [InlineData("postgres://merx:s3cret@db/shop/extra", "DATABASE")]
    [InlineData("postgres://merx:s3cret@db/shop?sslmode=require", "options")]
    [InlineData("postgres://merx:s3cret@db:notaport/shop", "not a URL")]
    public void Malformed_postgres_urls_say_what_is_wrong_without_the_password(string db, string what)
    {
        var e = Assert.Throws<ArgumentException>(() => StoreLocation.Parse(db));
        Assert.Contains(what, e.Message);
        Assert.Contains("postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Theory]
    [InlineData("redis://x", "redis")]
    [InlineData("mysql://root:s3cret@db/shop", "mysql")]
    [InlineData("file:///tmp/merx.db", "file")]
    [InlineData("sqlite://merx.db", "sqlite")]
    public void Other_schemes_are_refused_naming_the_accepted_forms(string db, string scheme)
    {
        var e = Assert.Throws<ArgumentException>(() => StoreLocation.Parse(db));
        Assert.Contains($"'{scheme}://'", e.Message);
        Assert.Contains(StoreLocation.AcceptedForms, e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_location_is_refused(string db)
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => StoreLocation.Parse(db)).Message);
    }

    [Fact]
    public void Open_opens_a_sqlite_file_with_the_options_given()
    {
        var path = _files.NewPath();
        using var store = MerxStores.Open(path, new SqliteStoreOptions { SecureDelete = false });
        var sqlite = Assert.IsType<SqliteStore>(store);
        Assert.Equal(Path.GetFullPath(path), sqlite.Path);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Open_of_an_unreachable_postgres_and_other_schemes_fail_clearly_creating_nothing()
    {
        var before = Directory.GetFileSystemEntries(".").Order().ToList();
        // Port 1 on loopback: nothing listens there (issue 18: database unreachable at start is a clear error).
        var pg = Assert.Throws<IOException>(() => MerxStores.Open("postgres://merx:s3cret@127.0.0.1:1/beauty"));
        Assert.StartsWith("cannot open the PostgreSQL store postgres://merx@127.0.0.1:1/beauty: ", pg.Message);
        Assert.DoesNotContain("s3cret", pg.Message);
        Assert.Throws<ArgumentException>(() => MerxStores.Open("redis://x"));
        Assert.Equal(before, Directory.GetFileSystemEntries(".").Order().ToList());
        Assert.False(Directory.Exists("postgres:") || Directory.Exists("redis:"));
    }
}
