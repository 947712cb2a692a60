using System.Collections.Concurrent;
using Merx.Privacy.Pseudonymization;
using Merx.Storage;

namespace Merx.Service.Privacy;

/// <summary>
/// Lazy key rotation (issue #7). While older keys are configured (<c>MERX_PSEUDONYM_OLD_KEYS</c>), a user
/// id that comes in is looked up under every key of the ring: a user the store holds only under an older
/// key's pseudonym is renamed to the current key's pseudonym (<see cref="IUserStore.RekeyUsers"/>, one
/// transaction: events, sessions, profile, served lists, feedback) before the request reads or writes, so
/// their history is found and new events join it. Cost: a set lookup per id for pseudonyms already checked
/// by this process (a bounded set of current pseudonyms, never raw ids), else one HMAC per older key and a
/// few indexed reads; writes only when a user is renamed. <see cref="Renamed"/> tells the holders of
/// in-memory per-user state (caches, bandit feedback, experiment tallies) to follow. Thread-safe.
/// </summary>
public sealed class LazyRekeying
{
    /// <summary>Current pseudonyms remembered as checked before the set starts over (about 60 MB at most).</summary>
    public const int DefaultCapacity = 500_000;

    private const int Chunk = 1000;
    private readonly PseudonymizerRing _ring;
    private readonly IUserStore _store;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, byte> _checked = new(StringComparer.Ordinal);
    private int _count;
    private long _renamed, _lookups;

    /// <param name="ring">The current key and the older ones (at least one).</param>
    /// <param name="store">Where users are looked up and renamed.</param>
    /// <param name="capacity">Checked pseudonyms remembered (≥ 1).</param>
    public LazyRekeying(PseudonymizerRing ring, IUserStore store, int capacity = DefaultCapacity)
    {
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        if (ring.Count < 2) throw new ArgumentException("lazy re-keying needs at least one older key", nameof(ring));
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be ≥ 1");
        _capacity = capacity;
    }

    /// <summary>Raised after each rename with (old pseudonym, current pseudonym), on the thread that renamed.</summary>
    public event Action<string, string>? Renamed;

    /// <summary>Users renamed by this process, and ids looked up in the store (set misses).</summary>
    public (long Renamed, long Lookups) Counters => (Interlocked.Read(ref _renamed), Interlocked.Read(ref _lookups));

    /// <summary>
    /// Brings the user with shop id <paramref name="shopId"/> (current pseudonym <paramref name="current"/>)
    /// under the current key if the store holds them under an older one; returns <paramref name="current"/>.
    /// </summary>
    public string Resolve(string current, string shopId)
    {
        if (!_checked.ContainsKey(current)) Check([new PendingId(current, shopId)]);
        return current;
    }

    /// <summary>Like <see cref="Resolve"/> for many ids at once (a batch of events, an import): one store call per 1,000 unchecked users.</summary>
    public void ResolveMany(IEnumerable<(string Current, string ShopId)> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        List<PendingId>? pending = null; // allocated on the first unchecked id: the common batch has none
        HashSet<string>? seen = null;
        foreach (var (current, shopId) in ids)
        {
            if (_checked.ContainsKey(current)) continue;
            seen ??= new HashSet<string>(StringComparer.Ordinal);
            if (!seen.Add(current)) continue;
            (pending ??= []).Add(new PendingId(current, shopId));
            if (pending.Count == Chunk) { Check(pending); pending.Clear(); seen.Clear(); }
        }
        if (pending is { Count: > 0 }) Check(pending);
    }

    /// <summary>Forgets that a pseudonym was checked (after the user was deleted: no trace of them stays in memory).</summary>
    public void Forget(string current)
    {
        if (_checked.TryRemove(current, out _)) Interlocked.Decrement(ref _count);
    }

    private void Check(IReadOnlyList<PendingId> ids)
    {
        var requests = new UserRekey[ids.Count];
        for (var i = 0; i < requests.Length; i++) requests[i] = new UserRekey(ids[i].Current, _ring.Older(ids[i].ShopId));
        Interlocked.Add(ref _lookups, requests.Length);
        var renamed = _store.RekeyUsers(requests);
        Interlocked.Add(ref _renamed, renamed.Count);
        foreach (var (from, to) in renamed) Renamed?.Invoke(from, to);
        // Remembered only once renamed: a pseudonym in the set never has a user under an older key.
        foreach (var r in requests)
        {
            if (Volatile.Read(ref _count) >= _capacity) { _checked.Clear(); Volatile.Write(ref _count, 0); }
            if (_checked.TryAdd(r.Current, 0)) Interlocked.Increment(ref _count);
        }
    }

    private readonly record struct PendingId(string Current, string ShopId);
}
