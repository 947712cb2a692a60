using Merx.Privacy.Pseudonymization;
using Merx.Service.Privacy;
using Merx.Storage.Sqlite;

namespace Merx.Server.Tests;

/// <summary>The key policy of issue #7: where a key may come from, when one is generated, and the store's fingerprint.</summary>
public sealed class PseudonymKeysTests : IDisposable
{
    private const string KeyA = "v1:key-a-0123456789abcdefghijklmnopqrstuvwxyz";
    private const string KeyB = "v1:key-b-0123456789abcdefghijklmnopqrstuvwxyz";
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-keys-").FullName;
    private readonly List<string> _warnings = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Db => Path.Combine(_dir, "s.db");

    private static Func<string, string?> Env(string? key = null) => name => name == PseudonymKey.EnvironmentVariable ? key : null;

    [Fact]
    public void The_environment_wins_over_the_development_key_file()
    {
        PseudonymKeys.WriteKeyFile(PseudonymKeys.DefaultKeyFile(Db));
        var r = PseudonymKeys.Resolve(Db, KeyUse.Serve, environment: Env(KeyA), warn: _warnings.Add);
        Assert.Equal(PseudonymKey.Parse(KeyA).Fingerprint, r.Key.Fingerprint);
        Assert.Equal(PseudonymKey.EnvironmentVariable, r.Source);
    }

    [Fact]
    public void A_server_without_a_key_refuses_to_start_off_loopback_even_with_a_development_key_file()
    {
        PseudonymKeys.WriteKeyFile(PseudonymKeys.DefaultKeyFile(Db));
        var e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Resolve(Db, KeyUse.Serve, loopback: false, environment: Env(), warn: _warnings.Add));
        Assert.Contains(PseudonymKey.EnvironmentVariable, e.Message);
        Assert.Contains("non-loopback", e.Message);
        // On loopback the development key file is used.
        Assert.False(PseudonymKeys.Resolve(Db, KeyUse.Serve, loopback: true, environment: Env(), warn: _warnings.Add).Generated);
    }

    [Fact]
    public void A_server_never_generates_a_key()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Resolve(Db, KeyUse.Serve, environment: Env(), warn: _warnings.Add));
        Assert.Contains(PseudonymKey.EnvironmentVariable, e.Message);
        Assert.False(File.Exists(PseudonymKeys.DefaultKeyFile(Db)));
    }

    [Fact]
    public void A_writer_generates_a_private_key_file_only_for_a_brand_new_store()
    {
        Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Resolve(Db, KeyUse.Write, storeIsNew: () => false, environment: Env(), warn: _warnings.Add));
        var r = PseudonymKeys.Resolve(Db, KeyUse.Write, storeIsNew: () => true, environment: Env(), warn: _warnings.Add);
        Assert.True(r.Generated);
        var file = PseudonymKeys.DefaultKeyFile(Db);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains(_warnings, w => w.Contains("development mode") && w.Contains(file));
        var again = PseudonymKeys.Resolve(Db, KeyUse.Write, storeIsNew: () => false, environment: Env(), warn: _warnings.Add);
        Assert.False(again.Generated);
        Assert.Equal(r.Key.Fingerprint, again.Key.Fingerprint);
    }

    [Fact]
    public void A_store_records_its_key_and_refuses_any_other()
    {
        using var store = SqliteStore.Open(Db);
        Assert.True(PseudonymKeys.Bind(store, PseudonymKey.Parse(KeyA), "test"));
        Assert.False(PseudonymKeys.Bind(store, PseudonymKey.Parse(KeyA), "test"));
        var e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Bind(store, PseudonymKey.Parse(KeyB), "the test"));
        Assert.Contains($"this store was pseudonymized with key {PseudonymKey.Parse(KeyA).Fingerprint}", e.Message);
        Assert.DoesNotContain("key-a-0123", e.Message); // a fingerprint, never the secret
    }

    [Fact]
    public void Pseudonym_shaped_ids_pass_and_everything_else_is_hashed()
    {
        using var ids = new UserIds(PseudonymKey.Parse(KeyA));
        var p = ids.ToStored("customer-1");
        Assert.Equal(p, ids.ToStored(p));
        Assert.NotEqual(p, ids.ToStored(p + "x"));
        Assert.NotEqual("customer-1", p);
        using var other = new UserIds(PseudonymKey.Parse(KeyB));
        Assert.NotEqual(p, other.ToStored("customer-1"));
    }
}
