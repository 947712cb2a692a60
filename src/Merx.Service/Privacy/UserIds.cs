using Merx.Privacy.Pseudonymization;
using Merx.Storage;

namespace Merx.Service.Privacy;

/// <summary>
/// Turns the user ids a shop sends (HTTP, files, the command line) into the pseudonyms the store
/// keeps: HMAC-SHA256 under the current key (<see cref="Pseudonymizer"/>). An id that already has the
/// exact shape of a current-key pseudonym (<c>p{v}_</c> + 22 base64url characters) is taken as one and
/// passes unchanged, so the dashboard and campaign tools can address users by the pseudonyms Merx
/// returns; a shop id of that exact shape would be taken the same way (document: do not give users
/// such ids). Raw ids are never kept. With older keys and a store, <see cref="ToStored"/> also re-keys
/// a returning user lazily (<see cref="LazyRekeying"/>). Thread-safe.
/// </summary>
public sealed class UserIds : IDisposable
{
    private readonly PseudonymizerRing _ring;

    /// <param name="current">The key new pseudonyms are made with.</param>
    /// <param name="older">Older keys of a rotation in progress (<c>MERX_PSEUDONYM_OLD_KEYS</c>).</param>
    /// <param name="store">The store users are re-keyed in; without it (or without older keys) nothing is re-keyed and <see cref="ToStored"/> never touches a store.</param>
    /// <param name="rekeyMemory">Current pseudonyms the re-keying remembers as checked (see <see cref="LazyRekeying.DefaultCapacity"/>).</param>
    public UserIds(PseudonymKey current, IReadOnlyList<PseudonymKey>? older = null, IUserStore? store = null, int rekeyMemory = LazyRekeying.DefaultCapacity)
    {
        Key = current ?? throw new ArgumentNullException(nameof(current));
        _ring = new PseudonymizerRing(current, older);
        if (store is not null && _ring.Count > 1) Rekeying = new LazyRekeying(_ring, store, rekeyMemory);
    }

    /// <summary>The current key (version and fingerprint; never the secret).</summary>
    public PseudonymKey Key { get; }

    /// <summary>The current-key pseudonymizer.</summary>
    public Pseudonymizer Pseudonymizer => _ring.CurrentKey;

    /// <summary>The ring of current and older keys (key rotation).</summary>
    public PseudonymizerRing Ring => _ring;

    /// <summary>The lazy re-keying of a rotation in progress; null when no older key (or no store) is configured.</summary>
    public LazyRekeying? Rekeying { get; }

    /// <summary>
    /// The id as stored: the pseudonym of <paramref name="shopId"/> (or the id itself when it is already
    /// one). During a lazy rotation, a user the store holds under an older key is renamed first.
    /// </summary>
    public string ToStored(string shopId)
    {
        ArgumentException.ThrowIfNullOrEmpty(shopId);
        if (IsPseudonym(shopId)) return shopId;
        var current = _ring.Current(shopId);
        return Rekeying is { } r ? r.Resolve(current, shopId) : current;
    }

    /// <summary>
    /// The current-key pseudonym of <paramref name="shopId"/> without touching the store (for streams
    /// written inside the store's transaction: call <see cref="Rekey"/> on their ids first).
    /// </summary>
    public string Pseudonym(string shopId)
    {
        ArgumentException.ThrowIfNullOrEmpty(shopId);
        return IsPseudonym(shopId) ? shopId : _ring.Current(shopId);
    }

    /// <summary>Re-keys every listed user that the store holds under an older key (a no-op without a rotation in progress).</summary>
    public void Rekey(IEnumerable<string> shopIds)
    {
        ArgumentNullException.ThrowIfNull(shopIds);
        if (Rekeying is not { } r) return;
        r.ResolveMany(shopIds.Where(id => !string.IsNullOrEmpty(id) && !IsPseudonym(id)).Select(id => (_ring.Current(id), id)));
    }

    /// <summary>
    /// Every id the user may be stored under: the pseudonym under each key of the ring, current first (the
    /// id itself when it is already a pseudonym). Deletion removes all of them.
    /// </summary>
    public string[] AllStored(string shopId)
    {
        ArgumentException.ThrowIfNullOrEmpty(shopId);
        return IsPseudonym(shopId) ? [shopId] : _ring.Candidates(shopId);
    }

    /// <summary>True when <paramref name="id"/> has the exact shape of a pseudonym made with the current key.</summary>
    public bool IsPseudonym(string id)
    {
        if (!_ring.IsCurrent(id)) return false;
        var p = _ring.CurrentKey.Prefix.Length;
        for (var i = p; i < id.Length; i++)
        {
            var c = id[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }
        return true;
    }

    public void Dispose() => _ring.Dispose();
}
