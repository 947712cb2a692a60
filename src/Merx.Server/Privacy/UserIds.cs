using Merx.Privacy.Pseudonymization;

namespace Merx.Server.Privacy;

/// <summary>
/// Turns the user ids a shop sends (HTTP, files, the command line) into the pseudonyms the store
/// keeps: HMAC-SHA256 under the current key (<see cref="Pseudonymizer"/>). An id that already has the
/// exact shape of a current-key pseudonym (<c>p{v}_</c> + 22 base64url characters) is taken as one and
/// passes unchanged, so the dashboard and campaign tools can address users by the pseudonyms Merx
/// returns; a shop id of that exact shape would be taken the same way (document: do not give users
/// such ids). Raw ids are never kept. Thread-safe.
/// </summary>
public sealed class UserIds : IDisposable
{
    private readonly PseudonymizerRing _ring;

    public UserIds(PseudonymKey current, IReadOnlyList<PseudonymKey>? older = null)
    {
        Key = current ?? throw new ArgumentNullException(nameof(current));
        _ring = new PseudonymizerRing(current, older);
    }

    /// <summary>The current key (version and fingerprint; never the secret).</summary>
    public PseudonymKey Key { get; }

    /// <summary>The current-key pseudonymizer.</summary>
    public Pseudonymizer Pseudonymizer => _ring.CurrentKey;

    /// <summary>The ring of current and older keys (key rotation).</summary>
    public PseudonymizerRing Ring => _ring;

    /// <summary>The id as stored: the pseudonym of <paramref name="shopId"/> (or the id itself when it is already one).</summary>
    public string ToStored(string shopId)
    {
        ArgumentException.ThrowIfNullOrEmpty(shopId);
        return IsPseudonym(shopId) ? shopId : _ring.Current(shopId);
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
