namespace Merx.Core.Trust;

/// <summary>How <see cref="SurgeWindow"/> decides. Memory is bounded by <see cref="MaxEvents"/> and <see cref="MaxAccounts"/>.</summary>
public sealed record SurgeOptions
{
    /// <summary>Seconds of arrivals the window holds.</summary>
    public long WindowSeconds { get; init; } = 3600;
    /// <summary>An account first seen less than this long ago is new.</summary>
    public long NewAccountSeconds { get; init; } = 86_400;
    /// <summary>A flagged item has at least this many new accounts in the window.</summary>
    public int MinNewAccounts { get; init; } = 10;
    /// <summary>…at least this share of its accounts in the window are new…</summary>
    public double MinNewShare { get; init; } = 0.6;
    /// <summary>…and that share is at least this many times the share among the window's other accounts (both smoothed by +1/+2).</summary>
    public double MinLift { get; init; } = 3;
    /// <summary>
    /// Co-push: an item passing the tests above is flagged only when another such item shares at least this share of the
    /// smaller one's new accounts (and at least <see cref="MinNewAccounts"/> of them): the same new accounts pushing the
    /// same items together. A crowd of genuine newcomers landing on a few niche items spreads over them, so their new
    /// accounts rarely coincide item to item.
    /// </summary>
    public double MinCoPushShare { get; init; } = 0.5;
    /// <summary>
    /// A one-item push: an item passing the new-account tests with no co-pushed partner is still flagged when it has at least
    /// this many times <see cref="MinNewAccounts"/> new accounts (without a second item's corroboration the evidence must be
    /// larger) and <see cref="MinSoloBurst"/> of them arrived within one <see cref="BurstSeconds"/> span. 0 = never flag one item alone.
    /// </summary>
    public double SoloFactor { get; init; } = 3;
    /// <summary>The burstiness a one-item push needs (<see cref="SoloFactor"/>); 1 = every new account within one span.</summary>
    public double MinSoloBurst { get; init; } = 0.5;
    /// <summary>Burstiness: the largest share of an item's new accounts that arrived within one span this long.</summary>
    public long BurstSeconds { get; init; } = 300;
    /// <summary>Arrivals kept at most; the oldest go first when full (the report counts them).</summary>
    public int MaxEvents { get; init; } = 200_000;
    /// <summary>Accounts whose age is remembered at most; accounts beyond it count as established.</summary>
    public int MaxAccounts { get; init; } = 1_000_000;

    public void Validate()
    {
        if (WindowSeconds <= 0 || NewAccountSeconds <= 0 || BurstSeconds <= 0) throw new ArgumentException("WindowSeconds, NewAccountSeconds and BurstSeconds must be positive");
        if (MinNewAccounts < 1) throw new ArgumentException("MinNewAccounts must be at least 1");
        if (MinNewShare is < 0 or > 1 || double.IsNaN(MinNewShare)) throw new ArgumentException("MinNewShare must be in [0, 1]");
        if (MinCoPushShare is < 0 or > 1 || double.IsNaN(MinCoPushShare)) throw new ArgumentException("MinCoPushShare must be in [0, 1]");
        if (!(SoloFactor == 0 || SoloFactor >= 1) || double.IsInfinity(SoloFactor)) throw new ArgumentException("SoloFactor must be 0 (off) or a finite number ≥ 1");
        if (MinSoloBurst is < 0 or > 1 || double.IsNaN(MinSoloBurst)) throw new ArgumentException("MinSoloBurst must be in [0, 1]");
        if (!(MinLift >= 0) || double.IsInfinity(MinLift)) throw new ArgumentException("MinLift must be a finite number ≥ 0");
        if (MaxEvents < 1 || MaxAccounts < 1) throw new ArgumentException("MaxEvents and MaxAccounts must be positive");
    }
}

/// <param name="NewShare">New accounts ÷ accounts, for this item in the window.</param>
/// <param name="Lift">(new + 1) / (accounts + 2) for the item over the same for the window's accounts that did not touch it.</param>
/// <param name="Burst">Largest share of the item's new accounts whose first arrival fell within one <see cref="SurgeOptions.BurstSeconds"/> span.</param>
/// <param name="NewAccountIds">Up to 20 of the new accounts, in arrival order.</param>
/// <param name="CoPushed">The other items that pass the new-account tests and share enough of this item's new accounts
/// (<see cref="SurgeOptions.MinCoPushShare"/>), in ordinal order; an item is flagged with at least one, or alone (<paramref name="Alone"/>).</param>
/// <param name="Alone">Flagged as a one-item push: no co-pushed partner, but many new accounts in a burst
/// (<see cref="SurgeOptions.SoloFactor"/>, <see cref="SurgeOptions.MinSoloBurst"/>).</param>
public sealed record SurgeItem(string Item, int Accounts, int NewAccounts, double NewShare, double Lift, double Burst, bool Flagged, IReadOnlyList<string> NewAccountIds,
    IReadOnlyList<string> CoPushed, bool Alone);

/// <summary>A new account in the window that pushed flagged items: a new account of both items of a co-pushed pair, or of an item flagged alone.</summary>
public sealed record SurgeAccount(string Account, long FirstSeen, int FlaggedItems, int Events);

/// <summary>
/// What the window holds at <paramref name="Now"/>: totals, the flagged items (most new accounts first) and, when asked for,
/// the next most suspicious unflagged ones, and the new accounts on flagged items (most flagged items first, at most 100).
/// </summary>
public sealed record SurgeReport(long Now, long WindowSeconds, int Events, int Accounts, int NewAccounts, long EventsDropped,
    IReadOnlyList<SurgeItem> Items, IReadOnlyList<SurgeAccount> SuspectAccounts)
{
    public int FlaggedItems => Items.Count(i => i.Flagged);
}

/// <summary>
/// The online signal for push attacks: many new accounts arriving at the same items. A bounded window over ingested events
/// (arrival time, account, item) keeps, per item, its accounts in the window and which of them are new (first seen by this
/// window, or since it was primed with the established accounts, less than <see cref="SurgeOptions.NewAccountSeconds"/> ago).
/// An item is flagged when enough of its accounts are new, both absolutely (<see cref="SurgeOptions.MinNewShare"/>) and
/// compared with the rest of the traffic (<see cref="SurgeOptions.MinLift"/>): a product a shop's new customers find
/// through ordinary browsing has the window's usual share of new accounts, one pushed by fake accounts has almost only
/// new ones. Such an item is flagged only with co-push evidence (<see cref="SurgeOptions.MinCoPushShare"/>): the same new
/// accounts pushing another such item too, or, for a one-item push, with more new accounts arriving in a burst
/// (<see cref="SurgeOptions.SoloFactor"/>, <see cref="SurgeOptions.MinSoloBurst"/>). The suspect accounts are the
/// new accounts shared by a co-pushed pair of flagged items and the new accounts of an item flagged alone. Burstiness is
/// reported beside each item. Not thread-safe: the host serializes calls.
/// </summary>
public sealed class SurgeWindow
{
    private readonly record struct Arrival(long Time, long Key, string Account, string Item, bool New);
    private sealed class ItemState { public readonly Dictionary<long, int> Accounts = []; }
    private sealed class AccountState(string id, bool isNew) { public readonly string Id = id; public readonly bool New = isNew; public int Events; }

    private const long Established = long.MinValue;
    private readonly SurgeOptions _o;
    private readonly Queue<Arrival> _window = new();
    private readonly Dictionary<string, ItemState> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<long, AccountState> _accounts = [];   // accounts with arrivals in the window
    private readonly Dictionary<long, long> _firstSeen = [];          // account key → first seen (Established: known before)
    private long _dropped;

    public SurgeWindow(SurgeOptions? options = null)
    {
        _o = options ?? new SurgeOptions();
        _o.Validate();
    }

    public SurgeOptions Options => _o;

    /// <summary>Accounts whose age the window remembers (established and new).</summary>
    public int RememberedAccounts => _firstSeen.Count;

    /// <summary>Marks accounts as established (they have history from before the window started): they never count as new.</summary>
    public void MarkEstablished(IEnumerable<long> keys)
    {
        foreach (var k in keys)
        {
            if (_firstSeen.Count >= _o.MaxAccounts && !_firstSeen.ContainsKey(k)) return;
            _firstSeen[k] = Established;
        }
    }

    /// <summary>Records that <paramref name="account"/> (hashed to <paramref name="key"/>) touched <paramref name="item"/> at <paramref name="now"/> (unix seconds, never decreasing).</summary>
    public void Observe(long now, long key, string account, string item)
    {
        Expire(now);
        if (_window.Count >= _o.MaxEvents) { Remove(_window.Dequeue()); _dropped++; }
        bool isNew;
        if (_firstSeen.TryGetValue(key, out var first)) isNew = first != Established && now - first < _o.NewAccountSeconds;
        else if (_firstSeen.Count < _o.MaxAccounts) { _firstSeen[key] = now; isNew = true; }
        else isNew = false;
        var arrival = new Arrival(now, key, account, item, isNew);
        _window.Enqueue(arrival);
        if (!_accounts.TryGetValue(key, out var a)) _accounts[key] = a = new AccountState(account, isNew);
        a.Events++;
        if (!_items.TryGetValue(item, out var s)) _items[item] = s = new ItemState();
        s.Accounts[key] = s.Accounts.GetValueOrDefault(key) + 1;
    }

    /// <summary>Forgets every trace of the accounts <paramref name="drop"/> selects (deleted users): arrivals, ages.</summary>
    public void ForgetAccounts(Func<long, bool> drop)
    {
        var kept = _window.Where(a => !drop(a.Key)).ToArray();
        _window.Clear(); _items.Clear(); _accounts.Clear();
        foreach (var k in _firstSeen.Keys.Where(drop).ToArray()) _firstSeen.Remove(k);
        foreach (var a in kept)
        {
            _window.Enqueue(a);
            if (!_accounts.TryGetValue(a.Key, out var s)) _accounts[a.Key] = s = new AccountState(a.Account, a.New);
            s.Events++;
            if (!_items.TryGetValue(a.Item, out var i)) _items[a.Item] = i = new ItemState();
            i.Accounts[a.Key] = i.Accounts.GetValueOrDefault(a.Key) + 1;
        }
    }

    /// <summary>The signal at <paramref name="now"/>: flagged items, plus up to <paramref name="watch"/> unflagged items with the most new accounts.</summary>
    public SurgeReport Report(long now, int watch = 0)
    {
        Expire(now);
        var accounts = _accounts.Count;
        var newAccounts = _accounts.Values.Count(a => a.New);
        var arrivals = NewArrivalTimes();
        var candidates = new List<(string Item, int Accounts, int Fresh, double Share, double Lift)>();
        var others = new List<(string Item, int Accounts, int Fresh, double Share, double Lift)>();
        foreach (var (item, s) in _items)
        {
            var n = s.Accounts.Count;
            var fresh = s.Accounts.Keys.Count(k => _accounts[k].New);
            if (fresh == 0) continue;
            var share = (double)fresh / n;
            var lift = (fresh + 1.0) / (n + 2.0) / ((newAccounts - fresh + 1.0) / (accounts - n + 2.0));
            (fresh >= _o.MinNewAccounts && share >= _o.MinNewShare && lift >= _o.MinLift ? candidates : others).Add((item, n, fresh, share, lift));
        }
        var (partners, pushers) = CoPushes(candidates.Select(c => c.Item).ToArray());
        var items = new List<SurgeItem>();
        foreach (var ((item, n, fresh, share, lift), candidate) in candidates.Select(c => (c, true)).Concat(others.Select(o => (o, false))))
        {
            var times = arrivals[item];
            var coPushed = partners.TryGetValue(item, out var p) ? p.Order(StringComparer.Ordinal).ToArray() : [];
            var burst = Burst(times);
            var alone = candidate && coPushed.Length == 0 && _o.SoloFactor > 0 && fresh >= _o.SoloFactor * _o.MinNewAccounts && burst >= _o.MinSoloBurst;
            if (alone)
                foreach (var k in _items[item].Accounts.Keys)
                    if (_accounts[k].New) pushers.Add(k);
            items.Add(new SurgeItem(item, n, fresh, share, lift, burst, coPushed.Length > 0 || alone, times.Take(20).Select(t => t.Account).ToArray(), coPushed, alone));
        }
        var flaggedItems = items.Where(i => i.Flagged).OrderByDescending(i => i.NewAccounts).ThenBy(i => i.Item, StringComparer.Ordinal).ToList();
        var watched = items.Where(i => !i.Flagged).OrderByDescending(i => i.NewAccounts).ThenByDescending(i => i.NewShare).ThenBy(i => i.Item, StringComparer.Ordinal).Take(watch);
        var perAccount = new Dictionary<long, int>();
        foreach (var k in pushers)
            foreach (var i in flaggedItems)
                if (_items[i.Item].Accounts.ContainsKey(k)) perAccount[k] = perAccount.GetValueOrDefault(k) + 1;
        var suspects = perAccount.Select(p => new SurgeAccount(_accounts[p.Key].Id, _firstSeen.GetValueOrDefault(p.Key), p.Value, _accounts[p.Key].Events))
            .OrderByDescending(a => a.FlaggedItems).ThenBy(a => a.FirstSeen).ThenBy(a => a.Account, StringComparer.Ordinal).Take(100).ToArray();
        return new SurgeReport(now, _o.WindowSeconds, _window.Count, accounts, newAccounts, _dropped, flaggedItems.Concat(watched).ToArray(), suspects);
    }

    /// <summary>
    /// Co-pushed pairs among the candidate items: two items whose new accounts overlap in at least
    /// <see cref="SurgeOptions.MinNewAccounts"/> accounts and at least <see cref="SurgeOptions.MinCoPushShare"/> of the smaller
    /// item's new accounts. Counted through each new account's candidate items (cost Σ over accounts of candidates held²).
    /// Returns each item's partners and the new accounts shared by some co-pushed pair.
    /// </summary>
    private (Dictionary<string, List<string>> Partners, HashSet<long> Pushers) CoPushes(string[] candidates)
    {
        var held = new Dictionary<long, List<int>>();
        var fresh = new int[candidates.Length];
        for (var c = 0; c < candidates.Length; c++)
            foreach (var k in _items[candidates[c]].Accounts.Keys)
                if (_accounts[k].New) { (held.TryGetValue(k, out var l) ? l : held[k] = []).Add(c); fresh[c]++; }
        var shared = new Dictionary<(int, int), int>();
        foreach (var list in held.Values)
            for (var a = 0; a < list.Count; a++)
                for (var b = a + 1; b < list.Count; b++)
                    shared[(list[a], list[b])] = shared.GetValueOrDefault((list[a], list[b])) + 1;
        var pairs = shared.Where(p => p.Value >= _o.MinNewAccounts && p.Value >= _o.MinCoPushShare * Math.Min(fresh[p.Key.Item1], fresh[p.Key.Item2]))
            .Select(p => p.Key).ToHashSet();
        var partners = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (a, b) in pairs)
        {
            (partners.TryGetValue(candidates[a], out var pa) ? pa : partners[candidates[a]] = []).Add(candidates[b]);
            (partners.TryGetValue(candidates[b], out var pb) ? pb : partners[candidates[b]] = []).Add(candidates[a]);
        }
        var pushers = new HashSet<long>();
        foreach (var (k, list) in held)
        {
            var found = false;
            for (var a = 0; a < list.Count && !found; a++)
                for (var b = a + 1; b < list.Count && !found; b++)
                    found = pairs.Contains((list[a], list[b]));
            if (found) pushers.Add(k);
        }
        return (partners, pushers);
    }

    /// <summary>Per item, each new account's first arrival in the window (time order).</summary>
    private Dictionary<string, List<(long Time, string Account)>> NewArrivalTimes()
    {
        var result = new Dictionary<string, List<(long, string)>>(StringComparer.Ordinal);
        var seen = new HashSet<(string, long)>();
        foreach (var a in _window)
        {
            if (!result.TryGetValue(a.Item, out var list)) result[a.Item] = list = [];
            if (a.New && seen.Add((a.Item, a.Key))) list.Add((a.Time, a.Account));
        }
        return result;
    }

    private double Burst(List<(long Time, string Account)> times) =>
        times.Count == 0 ? 0 : (double)ProfileFeatures.MostWithin(times.Select(t => t.Time).ToArray(), _o.BurstSeconds) / times.Count;

    private void Expire(long now)
    {
        while (_window.Count > 0 && _window.Peek().Time <= now - _o.WindowSeconds) Remove(_window.Dequeue());
    }

    private void Remove(Arrival a)
    {
        var s = _items[a.Item];
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(s.Accounts, a.Key);
        if (--count == 0) s.Accounts.Remove(a.Key);
        if (s.Accounts.Count == 0) _items.Remove(a.Item);
        var acc = _accounts[a.Key];
        if (--acc.Events == 0) _accounts.Remove(a.Key);
    }
}
