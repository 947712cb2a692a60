using Merx.Core.Domain;
using Merx.Privacy.Pseudonymization;
using Merx.Privacy.Scrubbing;
using Merx.Service.Privacy;
using Merx.Storage.Sqlite;

namespace Merx.Server.Tests;

/// <summary>Lazy key rotation (issue #7): binding a store to a new key with the old one still given, re-keying returning users, progress, bad input.</summary>
public sealed class KeyRotationTests : IDisposable
{
    internal const string V1 = "v1:rotation-key-one-0123456789abcdefghijklmnop";
    internal const string V2 = "v2:rotation-key-two-0123456789abcdefghijklmnop";
    private const string V3 = "v3:rotation-key-three-0123456789abcdefghijklmn";
    private const string V1Other = "v1:rotation-key-one-but-another-secret-0123456";
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-rotation-").FullName;
    private readonly List<string> _warnings = [];

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static PseudonymKey K(string text) => PseudonymKey.Parse(text);

    /// <summary>A store bound to v1 holding alice (3 events) and bob (2 events).</summary>
    private SqliteStore StoreUnderV1()
    {
        var store = SqliteStore.Open(Path.Combine(_dir, "r.db"));
        using var ids = new UserIds(K(V1));
        PseudonymKeys.Bind(store, ids.Key, "the test");
        var privacy = new IngestPrivacy(ids);
        store.AppendEvents(privacy.Events([new RawEvent("alice", "i1", EventKind.View, 1), new RawEvent("bob", "i2", EventKind.View, 2), new RawEvent("alice", "i2", EventKind.View, 3),
            new RawEvent("alice", "i3", EventKind.Purchase, 4), new RawEvent("bob", "i4", EventKind.View, 5)], new ScrubReport()));
        return store;
    }

    private static string P(string key, string id)
    {
        using var p = new Pseudonymizer(K(key));
        return p.Pseudonymize(id);
    }

    [Fact]
    public void A_new_key_with_the_stores_key_among_the_old_ones_starts_a_rotation_and_the_retired_key_is_refused_after()
    {
        using var store = StoreUnderV1();
        Assert.True(PseudonymKeys.Bind(store, K(V2), [K(V1)], "the test", _warnings.Add));
        Assert.Equal(K(V2).Fingerprint, store.GetSetting(PseudonymKeys.FingerprintSetting));
        Assert.Equal([K(V1).Fingerprint], PseudonymKeys.RetiredKeys(store));
        Assert.Contains(_warnings, w => w.Contains("key rotation started"));
        Assert.Contains(_warnings, w => w.Contains("2 users are still under older keys"));

        // The next start with the same keys is accepted and changes nothing.
        Assert.False(PseudonymKeys.Bind(store, K(V2), [K(V1)], "the test", _warnings.Add));
        Assert.Equal([K(V1).Fingerprint], PseudonymKeys.RetiredKeys(store));
        // Without the old key the store still opens, with a warning naming the unreachable users.
        _warnings.Clear();
        Assert.False(PseudonymKeys.Bind(store, K(V2), [], "the test", _warnings.Add));
        Assert.Contains(_warnings, w => w.Contains("2 users are under key v1") && w.Contains("unreachable") && w.Contains(PseudonymKey.OldKeysEnvironmentVariable));
        // Only the retired key: refused, saying which key to use.
        var e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Bind(store, K(V1), [], "the test", _warnings.Add));
        Assert.Contains("was retired on this store", e.Message);
        Assert.Contains(K(V2).Fingerprint, e.Message);
        // A key the store never saw: refused as before.
        e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Bind(store, K(V3), [], "the test", _warnings.Add));
        Assert.Contains("this store was pseudonymized with key v2:", e.Message);
        // A second rotation keeps the first retired key.
        Assert.True(PseudonymKeys.Bind(store, K(V3), [K(V2), K(V1)], "the test", _warnings.Add));
        Assert.Equal([K(V1).Fingerprint, K(V2).Fingerprint], PseudonymKeys.RetiredKeys(store));
    }

    [Fact]
    public void A_wrong_secret_for_a_retired_version_and_a_lower_new_version_are_refused()
    {
        using var store = StoreUnderV1();
        var e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Bind(store, K("v1:" + new string('z', 40)), [K(V1Other)], "the test", _warnings.Add));
        Assert.Contains("this store was pseudonymized with key v1:", e.Message);
        PseudonymKeys.Bind(store, K(V2), [K(V1)], "the test", _warnings.Add);
        e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Bind(store, K(V2), [K(V1Other)], "the test", _warnings.Add));
        Assert.Contains("is not the v1 key this store used", e.Message);

        using var other = SqliteStore.Open(Path.Combine(_dir, "o.db"));
        PseudonymKeys.Bind(other, K(V2), "the test");
        e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Bind(other, K(V1), [K(V2)], "the test", _warnings.Add));
        Assert.Contains("higher version", e.Message);
        Assert.Equal(K(V2).Fingerprint, other.GetSetting(PseudonymKeys.FingerprintSetting));
    }

    [Theory]
    [InlineData("v1:too-short", "[0]: the pseudonymization secret must be at least 32 characters")]
    [InlineData("rotation-key-one-0123456789abcdefghijklmnop", "[0]: an older key must name its version")]
    [InlineData(V1 + ",," + V3, "[1]: empty entry")]
    [InlineData(V1 + "," + V1Other, "[1]: key version v1 appears twice")]
    public void Malformed_old_keys_are_refused_with_a_clear_message(string oldKeys, string expected)
    {
        Func<string, string?> env = name => name == PseudonymKey.EnvironmentVariable ? V2 : name == PseudonymKey.OldKeysEnvironmentVariable ? oldKeys : null;
        var e = Assert.Throws<FormatException>(() => PseudonymKeys.Resolve(Path.Combine(_dir, "m.db"), KeyUse.Write, environment: env, warn: _warnings.Add));
        Assert.Contains(PseudonymKey.OldKeysEnvironmentVariable + expected, e.Message);
        Assert.DoesNotContain("0123456789abcdefghijklmnop", e.Message); // never the secret
        Assert.False(File.Exists(PseudonymKeys.DefaultKeyFile(Path.Combine(_dir, "m.db"))));
    }

    [Fact]
    public void An_old_key_with_the_current_keys_version_is_refused()
    {
        Func<string, string?> env = name => name == PseudonymKey.EnvironmentVariable ? V2 : name == PseudonymKey.OldKeysEnvironmentVariable ? "v2:" + new string('q', 40) : null;
        var e = Assert.Throws<InvalidOperationException>(() => PseudonymKeys.Resolve(Path.Combine(_dir, "m.db"), KeyUse.Write, environment: env, warn: _warnings.Add));
        Assert.Contains("the version of the current key", e.Message);
        var ok = PseudonymKeys.Resolve(Path.Combine(_dir, "m.db"), KeyUse.Write, environment: name => name == PseudonymKey.EnvironmentVariable ? V2 : name == PseudonymKey.OldKeysEnvironmentVariable ? V1 : null);
        Assert.Equal(1, Assert.Single(ok.OldKeys).Version);
    }

    [Fact]
    public void A_returning_user_is_renamed_once_with_their_history_and_a_new_user_gets_the_current_key()
    {
        using var store = StoreUnderV1();
        PseudonymKeys.Bind(store, K(V2), [K(V1)], "the test", _warnings.Add);
        using var ids = new UserIds(K(V2), [K(V1)], store);
        var renames = new List<(string, string)>();
        ids.Rekeying!.Renamed += (f, t) => renames.Add((f, t));

        var alice = ids.ToStored("alice");
        Assert.Equal(P(V2, "alice"), alice);
        Assert.Equal([(P(V1, "alice"), alice)], renames);
        Assert.Equal(["i3", "i2", "i1"], store.RecentEvents(alice, 10).Select(e => e.Item));
        Assert.Empty(store.RecentEvents(P(V1, "alice"), 10));
        Assert.Equal(alice, ids.ToStored("alice"));
        Assert.Equal((1L, 1L), ids.Rekeying.Counters); // the second call was answered from memory

        var carol = ids.ToStored("carol");
        Assert.StartsWith("p2_", carol);
        Assert.Single(renames);

        // A streamed write (import, batch of events) re-keys first, then its events join the user's history.
        var privacy = new IngestPrivacy(ids);
        RawEvent[] more = [new("bob", "i5", EventKind.View, 6), new("carol", "i1", EventKind.View, 7)];
        privacy.Rekey(more);
        store.AppendEvents(privacy.Events(more, new ScrubReport()));
        Assert.Equal(["i5", "i4", "i2"], store.RecentEvents(P(V2, "bob"), 10).Select(e => e.Item));
        Assert.Equal(3, store.GetStats().Users);
        var status = RotationStatus.Of(store, 2);
        Assert.Equal((3L, 0L), (status.CurrentUsers, status.Remaining));
    }

    [Fact]
    public void Forgetting_during_a_rotation_deletes_the_user_under_every_key()
    {
        using var store = StoreUnderV1();
        using var ids = new UserIds(K(V2), [K(V1)], store);
        Assert.Equal([P(V2, "bob"), P(V1, "bob")], ids.AllStored("bob"));
        Assert.Equal(2, ids.AllStored("bob").Sum(store.DeleteUser));
        Assert.Equal([P(V2, "x")], new UserIds(K(V2)).AllStored(P(V2, "x")));
        var status = RotationStatus.Of(store, 2);
        Assert.Equal([(1, 1L)], status.Older); // alice, still under v1
    }

    [Fact]
    public void Without_older_keys_ids_never_touch_the_store()
    {
        using var store = StoreUnderV1();
        using var ids = new UserIds(K(V1), [], store);
        Assert.Null(ids.Rekeying);
        Assert.Equal(P(V1, "alice"), ids.ToStored("alice"));
        Assert.Throws<ArgumentException>(() => new LazyRekeying(new PseudonymizerRing(K(V1)), store));
    }

    [Fact]
    public void The_status_counts_users_per_key_version()
    {
        using var store = StoreUnderV1();
        store.AppendEvents([new RawEvent(P(V3, "zed"), "i1", EventKind.View, 9), new RawEvent("legacy-id", "i1", EventKind.View, 9)]);
        var s = RotationStatus.Of(store, 2);
        Assert.Equal(0, s.CurrentUsers);
        Assert.Equal([(1, 2L)], s.Older);
        Assert.Equal(2, s.NewerOrOther);
        Assert.Equal(2, s.Remaining);
        Assert.Equal(12, RotationStatus.VersionOfFingerprint("v12:abcdef"));
        Assert.Null(RotationStatus.VersionOfFingerprint("demo:abcdef"));
    }
}
