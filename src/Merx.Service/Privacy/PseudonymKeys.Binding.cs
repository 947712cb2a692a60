using Merx.Privacy.Pseudonymization;
using Merx.Storage;

namespace Merx.Service.Privacy;

/// <summary>
/// Binding a store to its key, and key rotation. The store records the current key's fingerprint
/// (<see cref="FingerprintSetting"/>) and the fingerprints of the keys it moved away from
/// (<see cref="RetiredSetting"/>, comma-separated, oldest first). Lazy rotation starts when a writer comes
/// with a new key in <c>MERX_PSEUDONYM_KEY</c> and the store's key in <c>MERX_PSEUDONYM_OLD_KEYS</c>: both
/// settings change in one transaction, users are renamed as they come back (<see cref="LazyRekeying"/>),
/// and the retired key is refused as the current key from then on.
/// </summary>
public static partial class PseudonymKeys
{
    /// <summary>The store setting holding the fingerprints of the keys the store was rotated away from.</summary>
    public const string RetiredSetting = "pseudonym_key_retired";

    /// <summary>
    /// Records the key's fingerprint in a store that has none, and refuses a key other than the one
    /// the store was pseudonymized with. Returns true when this call recorded it.
    /// </summary>
    public static bool Bind(IMerxStore store, PseudonymKey key, string source) => Bind(store, key, [], source);

    /// <summary><see cref="Bind(IMerxStore, PseudonymKey, IReadOnlyList{PseudonymKey}, string, Action{string})"/> with a resolved key and its older keys.</summary>
    public static bool Bind(IMerxStore store, ResolvedKey key, Action<string>? warn = null) => Bind(store, key.Key, key.OldKeys, key.Source, warn);

    /// <summary>
    /// Binds the store to <paramref name="key"/>: records its fingerprint in a store that has none; accepts
    /// the store's own key; starts a lazy rotation when the store's key is one of <paramref name="oldKeys"/>
    /// (the new key's version must be higher); refuses a retired key and any other key with a message
    /// saying what to set. An older key whose version the store used with another secret is refused too
    /// (its users would not be found). Warns (on <paramref name="warn"/>, default stderr) how many users
    /// remain under older keys, and how many of them are unreachable because their key is not configured.
    /// Returns true when this call recorded a fingerprint (a new store, or the start of a rotation).
    /// </summary>
    public static bool Bind(IMerxStore store, PseudonymKey key, IReadOnlyList<PseudonymKey> oldKeys, string source, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(oldKeys);
        warn ??= Console.Error.WriteLine;
        var fingerprint = key.Fingerprint;
        for (var attempt = 0; ; attempt++)
        {
            var stored = store.GetSetting(FingerprintSetting);
            var recorded = false;
            if (stored is null)
            {
                stored = store.ClaimSetting(FingerprintSetting, fingerprint);
                recorded = stored == fingerprint;
            }
            var retiredText = store.GetSetting(RetiredSetting);
            var retired = Retired(retiredText);
            if (stored == fingerprint)
            {
                CheckOldKeys(oldKeys, retired, warn);
                if (retired.Count > 0) WarnRemaining(store, key, oldKeys, warn);
                return recorded;
            }
            if (oldKeys.FirstOrDefault(k => k.Fingerprint == stored) is { } previous)
            {
                if (key.Version <= previous.Version)
                    throw new InvalidOperationException($"key rotation: the new key from {source} (v{key.Version}) needs a higher version than the store's key (v{previous.Version}); write it as v{previous.Version + 1}:secret");
                if (store.ReplaceSettings([new SettingSwap(FingerprintSetting, stored, fingerprint), new SettingSwap(RetiredSetting, retiredText, retiredText is null ? stored : retiredText + "," + stored)]))
                {
                    warn($"key rotation started: this store now uses key {fingerprint} (from {source}); users under {stored} are renamed as they come back while {PseudonymKey.OldKeysEnvironmentVariable} holds the old key ('merx rotate-key --db FILE --status' shows how many remain)");
                    CheckOldKeys(oldKeys, [.. retired, stored], warn);
                    WarnRemaining(store, key, oldKeys, warn);
                    return true;
                }
                if (attempt >= 3) throw new InvalidOperationException("the store's key settings keep changing (concurrent writers rotating keys); try again");
                continue; // another writer changed the settings between our read and our swap: look again
            }
            if (retired.Contains(fingerprint))
                throw new InvalidOperationException(
                    $"the key from {source} ({fingerprint}) was retired on this store, which now uses key {stored}: set {PseudonymKey.EnvironmentVariable} to that key, " +
                    $"and keep this one in {PseudonymKey.OldKeysEnvironmentVariable} while users remain under it ('merx rotate-key --db FILE --status' tells)");
            throw new InvalidOperationException(
                $"this store was pseudonymized with key {stored}, but the key from {source} is {fingerprint}: set {PseudonymKey.EnvironmentVariable} " +
                $"to the store's key (user ids would otherwise no longer match their history), or move the store to a new key: lazily, with the new key in {PseudonymKey.EnvironmentVariable} " +
                $"and the store's key in {PseudonymKey.OldKeysEnvironmentVariable}, or at once with 'merx rotate-key'");
        }
    }

    /// <summary>The retired fingerprints recorded in a store (empty when it was never rotated).</summary>
    public static IReadOnlyList<string> RetiredKeys(ISettingsStore store) => Retired(store.GetSetting(RetiredSetting));

    private static List<string> Retired(string? text) => text is null ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static void CheckOldKeys(IReadOnlyList<PseudonymKey> oldKeys, IReadOnlyCollection<string> retired, Action<string> warn)
    {
        foreach (var old in oldKeys)
        {
            var fingerprint = old.Fingerprint;
            if (retired.Contains(fingerprint)) continue;
            var sameVersion = retired.FirstOrDefault(r => r.StartsWith($"v{old.Version}:", StringComparison.Ordinal));
            if (sameVersion is not null)
                throw new InvalidOperationException($"{PseudonymKey.OldKeysEnvironmentVariable}: the v{old.Version} key given ({fingerprint}) is not the v{old.Version} key this store used ({sameVersion}); its users would not be found. Give the store's old key");
            warn($"WARNING: {PseudonymKey.OldKeysEnvironmentVariable} holds key {fingerprint}, which this store never used: no user will be found under it");
        }
    }

    /// <summary>Prints how many users are still under older key versions, and how many of them cannot be reached with the configured keys.</summary>
    private static void WarnRemaining(IMerxStore store, PseudonymKey key, IReadOnlyList<PseudonymKey> oldKeys, Action<string> warn)
    {
        var status = RotationStatus.Of(store, key.Version);
        if (status.Remaining == 0) return;
        var configured = oldKeys.Select(k => k.Version).ToHashSet();
        var unreachable = status.Older.Where(v => !configured.Contains(v.Version)).ToArray();
        var reachable = status.Remaining - unreachable.Sum(v => v.Users);
        if (reachable > 0) warn($"key rotation in progress: {reachable:N0} users are still under older keys given in {PseudonymKey.OldKeysEnvironmentVariable}; they are renamed as they come back");
        foreach (var (version, users) in unreachable)
            warn($"WARNING: {users:N0} users are under key v{version}, which is not in {PseudonymKey.OldKeysEnvironmentVariable}: they are unreachable (their history is not found, forgetting them by id misses them) until that key is given");
    }
}
