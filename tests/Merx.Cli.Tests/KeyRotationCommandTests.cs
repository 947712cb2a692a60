using System.Text;
using Merx.Privacy.Pseudonymization;
using Merx.Storage.Sqlite;

namespace Merx.Cli.Tests;

/// <summary>
/// Lazy key rotation from the command line (issue #7): a store imported under v1, then written and read
/// with MERX_PSEUDONYM_KEY=v2 and MERX_PSEUDONYM_OLD_KEYS=v1; `rotate-key --status` follows the progress
/// and `rotate-key --ids` finishes it.
/// </summary>
public sealed class KeyRotationCommandTests() : CliTestBase("merx-rotation-cli-")
{
    private const string V1 = "v1:cli-rotation-key-one-0123456789abcdefghijk";
    private const string V2 = "v2:cli-rotation-key-two-0123456789abcdefghijk";
    private static readonly string[] Customers = ["ann.0001", "ben.0002", "cat.0003", "dan.0004"];

    /// <summary>The first <paramref name="customers"/> customers with <paramref name="eventsPerUser"/> views each.</summary>
    private string WriteShop(string name, int eventsPerUser = 5, int t0 = 1_700_000_000, int customers = 4)
    {
        var dir = P(name);
        Directory.CreateDirectory(dir);
        var events = new StringBuilder("user,item,kind,timestamp\n");
        for (var u = 0; u < customers; u++)
            for (var k = 0; k < eventsPerUser; k++) events.Append($"{Customers[u]},i{(u * 3 + k) % 7},view,{t0 + u * 100 + k}\n");
        File.WriteAllText(Path.Combine(dir, "events.csv"), events.ToString());
        return dir;
    }

    /// <summary>
    /// Writes the key files v1.key and v2.key and imports the shop into a new store under v1; with
    /// <paramref name="annReturns"/>, ann then comes back once with v2 and the old v1 (the rotation starts).
    /// </summary>
    private string ImportUnderV1(string db, bool annReturns = false)
    {
        File.WriteAllText(P("v1.key"), V1);
        File.WriteAllText(P("v2.key"), V2);
        Assert.Equal(0, Merx("import", "--data", WriteShop("shop"), "--db", db, "--pseudonym-key-file", P("v1.key")).Code);
        if (annReturns)
            Assert.Equal(0, WithOldKeys(V1, "import", "--data", WriteShop("again", 1, 1_800_000_000, customers: 1), "--db", db, "--pseudonym-key-file", P("v2.key")).Code);
        return db;
    }

    /// <summary>Runs with the old keys in the environment (restored after).</summary>
    private static (int Code, string Out, string Err) WithOldKeys(string? oldKeys, params string[] args)
    {
        var saved = Environment.GetEnvironmentVariable(PseudonymKey.OldKeysEnvironmentVariable);
        Environment.SetEnvironmentVariable(PseudonymKey.OldKeysEnvironmentVariable, oldKeys);
        try { return Merx(args); }
        finally { Environment.SetEnvironmentVariable(PseudonymKey.OldKeysEnvironmentVariable, saved); }
    }

    [Fact]
    public void A_store_moves_to_a_new_key_as_users_come_back_and_rotate_key_reports_and_finishes_it()
    {
        var db = ImportUnderV1(P("rot.db"));
        Assert.Equal(0, Merx("train", "--db", db, "--models", "pop", "--pseudonym-key-file", P("v1.key")).Code);

        var (code, output, err) = Merx("rotate-key", "--db", db, "--status", "--json", P("s0.json"));
        Assert.True(code == 0, err);
        Assert.Contains("users under the current key v1: 4", output);
        Assert.Contains("rotation complete", output);

        // merx recommend with v2 and the old v1: the rotation starts, and ben is renamed with his history.
        (code, output, err) = WithOldKeys(V1, "recommend", "--db", db, "--user", Customers[1], "--n", "3", "--pseudonym-key-file", P("v2.key"));
        Assert.True(code == 0, err);
        Assert.Contains("key rotation started", err);
        Assert.Contains("5 recent events", output);
        (code, output, _) = Merx("rotate-key", "--db", db, "--status", "--json", P("s1.json"));
        Assert.Equal(0, code);
        Assert.Contains("users under the current key v2: 1", output);
        Assert.Contains("users under older key v1: 3", output);
        Assert.Equal(3, Json(P("s1.json")).GetProperty("remaining").GetInt64());

        // An import with new events for every customer: ann, cat and dan are renamed first, and their events join.
        (code, output, err) = WithOldKeys(V1, "import", "--data", WriteShop("more", 2, 1_800_000_000), "--db", db, "--pseudonym-key-file", P("v2.key"));
        Assert.True(code == 0, err);
        Assert.Contains("3 returning users renamed", output);
        using (var store = SqliteStore.Open(db))
        {
            foreach (var c in Customers)
            {
                Assert.Equal(7, store.RecentEvents(Pseudonym(V2, c), 20).Count);
                Assert.Empty(store.RecentEvents(Pseudonym(V1, c), 20));
            }
            Assert.Equal(4, store.GetStats().Users);
        }
        foreach (var c in Customers) Assert.False(StoreHolds(db, Pseudonym(V1, c)), $"the file still holds {c}'s old pseudonym");
        Assert.Contains("rotation complete", Merx("rotate-key", "--db", db, "--status").Out);

        // The retired key alone is refused; the new key alone works.
        (code, _, err) = Merx("recommend", "--db", db, "--user", Customers[0], "--pseudonym-key-file", P("v1.key"));
        Assert.Equal(1, code);
        Assert.Contains("was retired on this store", err);
        Assert.Equal(0, Merx("recommend", "--db", db, "--user", Customers[0], "--pseudonym-key-file", P("v2.key")).Code);
    }

    [Fact]
    public void Forget_during_a_rotation_and_finishing_it_with_the_shops_ids()
    {
        // ann comes back; then dan, still under v1, and ann are forgotten.
        var db = ImportUnderV1(P("fin.db"), annReturns: true);
        var (code, output, err) = WithOldKeys(V1, "forget", "--db", db, "--user", Customers[0], "--user", Customers[3], "--pseudonym-key-file", P("v2.key"));
        Assert.True(code == 0, err);
        Assert.Contains($"forgot user {Customers[0]}: 6 events removed", output);
        Assert.Contains($"forgot user {Customers[3]}: 5 events removed", output);
        foreach (var c in new[] { Customers[0], Customers[3] })
            foreach (var key in new[] { V1, V2 })
                Assert.False(StoreHolds(db, Pseudonym(key, c)), $"the file still holds {c} under {key[..2]}");

        // Without the old key, a writer warns how many users it cannot reach.
        (code, _, err) = Merx("train", "--db", db, "--models", "pop", "--pseudonym-key-file", P("v2.key"));
        Assert.Equal(0, code);
        Assert.True(err.Contains("2 users are under key v1, which is not in MERX_PSEUDONYM_OLD_KEYS"), err);
        // Finishing without the old key is refused with what to do; with it, the listed users move.
        File.WriteAllLines(P("ids.txt"), [Customers[1]]);
        (code, _, err) = Merx("rotate-key", "--db", db, "--ids", P("ids.txt"), "--pseudonym-key-file", P("v2.key"));
        Assert.Equal(1, code);
        Assert.Contains("MERX_PSEUDONYM_OLD_KEYS", err);
        (code, output, err) = WithOldKeys(V1, "rotate-key", "--db", db, "--ids", P("ids.txt"), "--pseudonym-key-file", P("v2.key"));
        Assert.True(code == 0, err);
        Assert.Contains("moved 1 of 1 listed users", output);
        Assert.Contains("1 users remain under older keys", output);
        Assert.Contains("users under older key v1: 1", Merx("rotate-key", "--db", db, "--status").Out);

        // Bad input: a malformed old key list is a clear error, and --status takes no --ids.
        (code, _, err) = WithOldKeys("v1:short", "recommend", "--db", db, "--user", Customers[1], "--pseudonym-key-file", P("v2.key"));
        Assert.Equal(1, code);
        Assert.Contains("MERX_PSEUDONYM_OLD_KEYS[0]: the pseudonymization secret must be at least 32 characters", err);
        Assert.Equal(1, Merx("rotate-key", "--db", db, "--status", "--ids", P("ids.txt")).Code);
        Assert.Equal(1, Merx("rotate-key", "--db", db).Code);
    }

    [Fact]
    public void The_eager_rotation_finishes_a_lazy_one_and_records_every_retired_key()
    {
        var db = ImportUnderV1(P("eager.db"), annReturns: true);
        File.WriteAllLines(P("ids.txt"), Customers);

        // ann is under v2, the others under v1: every listed user ends under the new v3 key.
        var (code, output, err) = WithOldKeys(V1, "rotate-key", "--db", db, "--ids", P("ids.txt"), "--new-key-file", P("v3.key"), "--pseudonym-key-file", P("v2.key"));
        Assert.True(code == 0, err);
        Assert.Contains("4 of 4 listed users renamed", output);
        var v3 = File.ReadAllText(P("v3.key")).Trim();
        Assert.StartsWith("v3:", v3);
        using (var store = SqliteStore.Open(db))
        {
            Assert.Equal(6, store.RecentEvents(Pseudonym(v3, Customers[0]), 20).Count);
            Assert.Equal(5, store.RecentEvents(Pseudonym(v3, Customers[3]), 20).Count);
            Assert.Equal(4, store.GetStats().Users);
        }
        (code, output, _) = Merx("rotate-key", "--db", db, "--status");
        Assert.Equal(0, code);
        Assert.Contains("users under the current key v3: 4", output);
        Assert.Contains(PseudonymKey.Parse(V1).Fingerprint, output);
        Assert.Contains(PseudonymKey.Parse(V2).Fingerprint, output);
        Assert.Contains("rotation complete", output);
        (code, _, err) = Merx("recommend", "--db", db, "--user", Customers[0], "--pseudonym-key-file", P("v2.key"));
        Assert.Equal(1, code);
        Assert.Contains("was retired on this store", err);
    }
}
