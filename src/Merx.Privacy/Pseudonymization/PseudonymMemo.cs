namespace Merx.Privacy.Pseudonymization;

/// <summary>
/// A per-batch memo of id → pseudonym for ingestion: a shop's events repeat the same users (tens to
/// hundreds of events each), so an import pays the HMAC once per distinct user instead of once per
/// event. Holds raw ids in memory only, for the batch's lifetime: never persist or log it; call
/// <see cref="Clear"/> (or drop it) when the batch is done. Bounded: when it reaches
/// <c>capacity</c> entries it starts over. Not thread-safe: one per import worker.
/// </summary>
public sealed class PseudonymMemo
{
    private readonly Pseudonymizer _pseudonymizer;
    private readonly Dictionary<string, string> _memo;
    private readonly int _capacity;

    /// <param name="pseudonymizer">The current-key pseudonymizer.</param>
    /// <param name="capacity">Most ids kept (default 1,000,000: about 150 MB at worst for long ids).</param>
    public PseudonymMemo(Pseudonymizer pseudonymizer, int capacity = 1_000_000)
    {
        _pseudonymizer = pseudonymizer ?? throw new ArgumentNullException(nameof(pseudonymizer));
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be ≥ 1");
        _capacity = capacity;
        _memo = new Dictionary<string, string>(Math.Min(capacity, 1 << 16), StringComparer.Ordinal);
    }

    /// <summary>Distinct ids currently remembered.</summary>
    public int Count => _memo.Count;

    /// <summary>The pseudonym of <paramref name="userId"/>, computed at most once while remembered.</summary>
    public string Get(string userId)
    {
        if (_memo.TryGetValue(userId, out var p)) return p;
        if (_memo.Count >= _capacity) _memo.Clear();
        p = _pseudonymizer.Pseudonymize(userId);
        _memo[userId] = p;
        return p;
    }

    /// <summary>Forgets every raw id.</summary>
    public void Clear() => _memo.Clear();
}
