using System.Globalization;
using Merx.Storage;

namespace Merx.Service.Privacy;

/// <summary>
/// How far a key rotation has come: users per key version, read from the version prefix every
/// pseudonym carries (<c>p{N}_</c>). When <see cref="Remaining"/> is 0 the older keys can be dropped
/// from <c>MERX_PSEUDONYM_OLD_KEYS</c> and destroyed.
/// </summary>
/// <param name="CurrentVersion">The store's current key version (0 when the store records no key).</param>
/// <param name="CurrentUsers">Users under the current key.</param>
/// <param name="Older">Users per older key version, newest version first.</param>
/// <param name="NewerOrOther">Users whose id carries a newer version, the demo prefix or no version at all (stored before pseudonymization).</param>
public sealed record RotationStatus(int CurrentVersion, long CurrentUsers, IReadOnlyList<(int Version, long Users)> Older, long NewerOrOther)
{
    /// <summary>Users still to be moved to the current key.</summary>
    public long Remaining => Older.Sum(v => v.Users);

    /// <summary>Counts the store's users per key version, against the current version <paramref name="currentVersion"/>.</summary>
    public static RotationStatus Of(IUserStore store, int currentVersion)
    {
        ArgumentNullException.ThrowIfNull(store);
        long current = 0, other = 0;
        var older = new SortedDictionary<int, long>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
        foreach (var (prefix, users) in store.UsersByIdPrefix())
        {
            if (VersionOf(prefix) is not { } v || v > currentVersion) other += users;
            else if (v == currentVersion) current += users;
            else older[v] = older.GetValueOrDefault(v) + users;
        }
        return new RotationStatus(currentVersion, current, older.Select(p => (p.Key, p.Value)).ToArray(), other);
    }

    /// <summary>The key version of the store's fingerprint setting (<c>v{N}:…</c>), or null when it records none (or the demo key).</summary>
    public static int? VersionOfFingerprint(string? fingerprint)
    {
        if (fingerprint is null || !fingerprint.StartsWith('v')) return null;
        var colon = fingerprint.IndexOf(':');
        return colon > 1 && int.TryParse(fingerprint.AsSpan(1, colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    // "p12_" → 12; anything else (demo_, "", p_x) → null.
    private static int? VersionOf(string prefix) =>
        prefix.Length > 2 && prefix[0] == 'p' && prefix[^1] == '_' && int.TryParse(prefix.AsSpan(1, prefix.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
}
