using Merx.Storage;

namespace Merx.Service.Users;

/// <summary>Users named by <see cref="UserIdHash"/> (the change feed's deletions): a holder tests its ids against them.</summary>
public sealed class UserSet
{
    private readonly HashSet<long> _hashes;

    public UserSet(IEnumerable<long> hashes) => _hashes = [.. hashes];

    /// <summary>The set of these ids (tests, and callers that know the ids).</summary>
    public static UserSet Of(params string[] ids) => new(ids.Select(UserIdHash.Of));

    public int Count => _hashes.Count;

    /// <summary>True when <paramref name="id"/> is in the set (by its hash).</summary>
    public bool Contains(string id) => _hashes.Contains(UserIdHash.Of(id));

    /// <summary>True when the id whose <see cref="UserIdHash"/> is <paramref name="hash"/> is in the set (holders that keep the hash skip rehashing).</summary>
    public bool ContainsHash(long hash) => _hashes.Contains(hash);
}

/// <summary>Renames from the change feed: old ids by <see cref="UserIdHash"/>, new ids as stored.</summary>
public sealed class UserRenames
{
    private readonly Dictionary<long, string> _to;

    public UserRenames(IEnumerable<(long FromHash, string To)> renames)
    {
        _to = [];
        foreach (var (from, to) in renames) _to[from] = to;
        NewIds = new HashSet<string>(_to.Values, StringComparer.Ordinal);
    }

    /// <summary>The renames of these ids (tests, and callers that know the ids).</summary>
    public static UserRenames Of(params (string From, string To)[] renames) => new(renames.Select(r => (UserIdHash.Of(r.From), r.To)));

    public int Count => _to.Count;

    /// <summary>The ids users were renamed to.</summary>
    public IReadOnlySet<string> NewIds { get; }

    /// <summary>The new id of <paramref name="id"/> when it was renamed.</summary>
    public bool TryGetNewId(string id, out string to) => TryGetNewIdByHash(UserIdHash.Of(id), out to);

    /// <summary>Like <see cref="TryGetNewId"/> from the id's <see cref="UserIdHash"/>.</summary>
    public bool TryGetNewIdByHash(long hash, out string to) => _to.TryGetValue(hash, out to!);
}
