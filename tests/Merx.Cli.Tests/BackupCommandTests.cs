using Merx.Service.Privacy;
using Merx.Storage.Sqlite;
using Merx.Storage.Tests;

namespace Merx.Cli.Tests;

/// <summary>Issue 20, backups from the command line: `merx backup` and `merx restore`, their refusals and --force.</summary>
public sealed class BackupCommandTests() : CliTestBase("merx-backup-cli-")
{
    /// <summary>A small imported shop with a published model; returns the store path.</summary>
    private string Shop()
    {
        var db = P("m.db");
        Assert.Equal(0, Merx("generate", "--users", "150", "--items", "120", "--events", "3000", "--seed", "7", "--out", P("shop")).Code);
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", db).Code);
        Assert.Equal(0, Merx("train", "--db", db, "--models", "itemknn").Code);
        return db;
    }

    [Fact]
    public void Backup_then_restore_gives_a_store_with_the_same_counts_model_key_and_recommendations()
    {
        var db = Shop();
        var (code, output, err) = Merx("backup", "--db", db, "--out", P("b/m.bak"));
        Assert.True(code == 0, err);
        Assert.Contains($"backed up {db} to {P("b/m.bak")}", output);
        Assert.Contains("integrity ok", output);
        (code, output, err) = Merx("restore", "--from", P("b/m.bak"), "--db", P("r.db"));
        Assert.True(code == 0, err);
        using (var original = SqliteStore.Open(db))
        using (var restored = SqliteStore.Open(P("r.db")))
        {
            Assert.Contains($"under key {original.GetSetting(PseudonymKeys.FingerprintSetting)}", output);
            Assert.Equal(original.GetSetting(PseudonymKeys.FingerprintSetting), restored.GetSetting(PseudonymKeys.FingerprintSetting));
            Assert.Equal(original.LatestModel(), restored.LatestModel());
        }
        Assert.Equal(0, Merx("stats", "--db", db, "--json", P("a.json")).Code);
        Assert.Equal(0, Merx("stats", "--db", P("r.db"), "--json", P("b.json")).Code);
        Assert.Equal(File.ReadAllText(P("a.json")), File.ReadAllText(P("b.json")));
        Assert.Equal(3000, Json(P("b.json")).GetProperty("events").GetInt64());
        // The restored store serves the shop's own ids with the original's key file.
        var key = db + ".pseudonym.key";
        var (rc1, fromOriginal, _) = Merx("recommend", "--db", db, "--user", "u3", "--n", "5");
        var (rc2, fromRestored, e2) = Merx("recommend", "--db", P("r.db"), "--user", "u3", "--n", "5", "--pseudonym-key-file", key);
        Assert.Equal(0, rc1);
        Assert.True(rc2 == 0, e2);
        Assert.Equal(fromOriginal, fromRestored);
    }

    [Fact]
    public void Backup_refuses_a_missing_store_a_file_that_is_not_a_store_and_an_unwritable_output()
    {
        var (code, _, err) = Merx("backup", "--db", P("none.db"), "--out", P("x.bak"));
        Assert.Equal(1, code);
        Assert.Contains($"no store at {P("none.db")}", err);
        Assert.False(File.Exists(P("none.db")), "a backup must not create the store it was asked to copy");

        File.WriteAllText(P("notes.txt"), new string('x', 5000));
        (code, _, err) = Merx("backup", "--db", P("notes.txt"), "--out", P("x.bak"));
        Assert.Equal(1, code);
        Assert.Contains("is not a Merx store (not a SQLite database)", err);

        StoreFile.Sql(P("other.db"), "CREATE TABLE t(x)");
        (code, _, err) = Merx("backup", "--db", P("other.db"), "--out", P("x.bak"));
        Assert.Equal(1, code);
        Assert.Contains("is a SQLite database but not a Merx store", err);

        (code, _, err) = Merx("backup", "--db", "redis://x", "--out", P("x.bak"));
        Assert.NotEqual(0, code);
        Assert.Contains("unsupported store location scheme 'redis://'", err);
        Assert.False(File.Exists(P("x.bak")));

        var db = Shop();
        (code, _, err) = Merx("backup", "--db", db, "--out", P("notes.txt/x.bak"));   // root can write anywhere, but not under a file
        Assert.Equal(1, code);
        Assert.StartsWith("merx: cannot write", err);
        Assert.Equal(new string('x', 5000), File.ReadAllText(P("notes.txt")));
    }

    [Fact]
    public void An_existing_output_is_replaced_only_with_force_and_a_file_that_is_not_a_store_never()
    {
        var db = Shop();
        File.WriteAllText(P("old.bak"), "yesterday");
        var (code, _, err) = Merx("backup", "--db", db, "--out", P("old.bak"));
        Assert.Equal(1, code);
        Assert.Contains("already exists: refusing to replace it (--force replaces it)", err);
        Assert.Equal("yesterday", File.ReadAllText(P("old.bak")));
        (code, _, err) = Merx("backup", "--db", db, "--out", P("old.bak"), "--force");
        Assert.Equal(1, code);
        Assert.Contains("exists and is not a SQLite database: refusing to replace it", err);
        Assert.Equal("yesterday", File.ReadAllText(P("old.bak")));

        Assert.Equal(0, Merx("backup", "--db", db, "--out", P("m.bak")).Code);
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", db).Code);   // 3,000 more events
        Assert.Equal(1, Merx("backup", "--db", db, "--out", P("m.bak")).Code);
        Assert.Equal(0, Merx("backup", "--db", db, "--out", P("m.bak"), "--force").Code);
        Assert.Equal(0, Merx("restore", "--from", P("m.bak"), "--db", P("r.db")).Code);
        Assert.Equal(0, Merx("stats", "--db", P("r.db"), "--json", P("r.json")).Code);
        Assert.Equal(6000, Json(P("r.json")).GetProperty("events").GetInt64());
    }

    [Fact]
    public void Restore_checks_the_backup_and_replaces_a_store_only_with_force_and_never_one_in_use()
    {
        var db = Shop();
        Assert.Equal(0, Merx("backup", "--db", db, "--out", P("m.bak")).Code);
        var (code, _, err) = Merx("restore", "--from", P("none.bak"), "--db", P("r.db"));
        Assert.Equal(1, code);
        Assert.Contains($"no backup at {P("none.bak")}", err);

        File.Copy(P("m.bak"), P("future.bak"));
        StoreFile.Sql(P("future.bak"), $"INSERT INTO schema_version(version, applied_at) VALUES({SqliteStore.LatestSchemaVersion + 1}, 'future')");
        (code, _, err) = Merx("restore", "--from", P("future.bak"), "--db", P("r.db"));
        Assert.Equal(1, code);
        Assert.Contains("newer than this Merx understands", err);
        Assert.False(File.Exists(P("r.db")));

        File.WriteAllText(P("junk.bak"), new string('j', 5000));
        (code, _, err) = Merx("restore", "--from", P("junk.bak"), "--db", P("r.db"));
        Assert.Equal(1, code);
        Assert.Contains("is not a Merx store (not a SQLite database)", err);

        Assert.Equal(0, Merx("generate", "--users", "20", "--items", "20", "--events", "100", "--seed", "1", "--out", P("small")).Code);
        Assert.Equal(0, Merx("import", "--data", P("small"), "--db", P("live.db")).Code);
        (code, _, err) = Merx("restore", "--from", P("m.bak"), "--db", P("live.db"));
        Assert.Equal(1, code);
        Assert.Contains("already exists: refusing to replace it (--force replaces it)", err);
        using (var server = SqliteStore.Open(P("live.db")))   // a running server holds the store
        {
            (code, _, err) = Merx("restore", "--from", P("m.bak"), "--db", P("live.db"), "--force");
            Assert.Equal(1, code);
            Assert.Contains("is open in another process (a running 'merx serve'?)", err);
            Assert.Equal(100, server.GetStats().Events);
        }
        (code, _, err) = Merx("restore", "--from", P("m.bak"), "--db", P("live.db"), "--force");
        Assert.True(code == 0, err);
        Assert.Equal(0, Merx("stats", "--db", P("live.db"), "--json", P("live.json")).Code);
        Assert.Equal(3000, Json(P("live.json")).GetProperty("events").GetInt64());
        Assert.Contains("Refused while another process (a running 'merx serve') has the store open", Merx("restore", "--help").Out);
    }
}
