using System.Collections.Concurrent;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.Extensions.Options;

namespace Merx.Service.Serving;

/// <summary>One remembered event of a user's recent history: what the ranking needs, nothing more.</summary>
public readonly record struct RecentEvent(string? Item, EventKind Kind, long Timestamp, string? Platform = null);

/// <summary>
/// Users' latest events in memory, so that a recommendation does not read the store (on SQLite a
/// history is a chain of B-tree lookups under the store's one lock, which the served-list and
/// event writers also take: that lock, not the lookups, made the tail latency).
/// <para>
/// Write-through: events accepted by this server are appended to the store and then, under the
/// users' stripe locks, to their cached entries; a miss loads a user from the store under the same
/// stripe lock and draws a ticket after reading. An entry whose ticket is older than the append's
/// (drawn before the store call) was read before the append and is extended; a newer one may already
/// hold the events and is dropped, so the next request reads the store: an accepted event is in the
/// very next answer, exactly once. Writes by anyone else (another process or replica, an import
/// into the live store) are noticed through the store's event sequence at most
/// <see cref="MerxServerOptions.HistoryCacheRefreshMs"/> later and drop the whole cache; a store that
/// announces other processes' appends (<see cref="IStoreChangeSignals"/>: PostgreSQL with several replicas)
/// drops just the users named, as each append commits, and its sequence range no longer counts as foreign. Deletions and
/// renames of users, by any process, reach it through <see cref="UserLifecycle"/> before the next answer.
/// </para>
/// </summary>
public sealed class HistoryCache : IUserStateHolder
{
    private readonly IEventStore _store;
    private readonly int _perUser, _capacity;
    private readonly long _refreshMs;
    private readonly ConcurrentDictionary<string, Entry> _map = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, string> _byHash = new();   // user hash → id of cached entries (may hold stale ids: lookups only)
    private readonly object[] _stripes = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();
    private readonly object _sequenceGate = new();
    private readonly List<(long First, long Last)> _ours = [];  // sequence ranges this server wrote since the last check
    private readonly bool _signalled;
    private long _checkedUpTo, _nextCheck, _hits, _misses, _drops;
    private long _loads;  // tickets ordering loads against appends (see Append)
    private int _generation, _count;

    public HistoryCache(IEventStore store, IOptions<MerxServerOptions> options)
    {
        _store = store;
        _perUser = RecommendationService.HistoryLimit;
        _capacity = options.Value.HistoryCacheUsers;
        _refreshMs = options.Value.HistoryCacheRefreshMs;
        _checkedUpTo = store.NextEventSequence();
        _nextCheck = Environment.TickCount64 + _refreshMs;
        if (store is IStoreChangeSignals signals)
        {
            _signalled = true;
            signals.Changed += OnForeignChange;
        }
    }

    /// <summary>Another process appended events: drop the users they name (all, when not listed) and account for their sequence range.</summary>
    private void OnForeignChange(StoreChange change)
    {
        if (change.Kind != StoreChangeKind.Events) return;
        if (change.UserHashes is null) Clear();
        else
            foreach (var hash in change.UserHashes)
            {
                if (!_byHash.TryGetValue(hash, out var user)) continue;
                lock (Stripe(user))
                    if (_map.TryRemove(user, out _)) Interlocked.Decrement(ref _count);
                _byHash.TryRemove(hash, out _);
            }
        if (change.Last >= change.First && change.First > 0)
            lock (_sequenceGate)
            {
                _ours.Add((change.First, change.Last));
                Monitor.PulseAll(_sequenceGate);
            }
    }

    /// <summary>Requests answered from memory, loaded from the store, and whole-cache drops after foreign writes.</summary>
    public (long Hits, long Misses, long Drops) Counters => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _drops));

    /// <summary>The user's latest events (at most <see cref="RecommendationService.HistoryLimit"/>), newest first.</summary>
    public RecentEvent[] Recent(string user)
    {
        if (_capacity == 0) return Load(user);
        CheckForeignWrites();
        if (_map.TryGetValue(user, out var entry)) { Interlocked.Increment(ref _hits); return entry.NewestFirst(); }
        lock (Stripe(user))
        {
            if (_map.TryGetValue(user, out entry)) { Interlocked.Increment(ref _hits); return entry.NewestFirst(); }
            Interlocked.Increment(ref _misses);
            var generation = Volatile.Read(ref _generation);
            var events = Load(user);
            var ticket = Interlocked.Increment(ref _loads);  // drawn after the read: see Append
            if (generation == Volatile.Read(ref _generation))
            {
                MakeRoom();
                var created = new Entry(user, events, _perUser, ticket);
                if (_map.TryAdd(user, created)) Interlocked.Increment(ref _count);
                _byHash[created.UserHash] = user;
            }
            return events;
        }
    }

    /// <summary>
    /// Appends accepted events to the store (one transaction, all or nothing) and then to the cached
    /// histories of their users. The store call holds no stripe, so concurrent requests reach the store
    /// together and share its commit (group commit). A cached entry loaded while the append was under way
    /// may or may not hold the new events, so it is dropped (the next request reads the store); an entry
    /// loaded before is extended, in sequence order (one already extended by a later batch is dropped too).
    /// </summary>
    public ImportBatch Append(IReadOnlyList<RawEvent> events)
    {
        if (_capacity == 0) return _store.AppendEvents(events);
        var ticket = Interlocked.Increment(ref _loads);
        var batch = _store.AppendEvents(events);
        if (batch.Events == 0) return batch;
        lock (_sequenceGate) { _ours.Add((batch.FirstSequence, batch.LastSequence)); Monitor.PulseAll(_sequenceGate); }
        var stripes = new SortedSet<int>();
        foreach (var e in events) stripes.Add(StripeIndex(e.User));
        var taken = new List<object>(stripes.Count);
        try
        {
            foreach (var s in stripes) { Monitor.Enter(_stripes[s]); taken.Add(_stripes[s]); }
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (!_map.TryGetValue(e.User, out var entry)) continue;
                if (entry.LoadTicket > ticket || !entry.Add(new RecentEvent(e.Item, e.Kind, e.Timestamp, e.Platform), batch.FirstSequence + i))
                    if (_map.TryRemove(e.User, out _)) Interlocked.Decrement(ref _count);
            }
            return batch;
        }
        finally
        {
            for (var i = taken.Count - 1; i >= 0; i--) Monitor.Exit(taken[i]);
        }
    }

    /// <summary>Drops the entries of deleted users; a load in flight cannot put the old events back (every stripe is held while they go).</summary>
    public void Forget(UserSet users) => RemoveWhere((_, entry) => users.ContainsHash(entry.UserHash));

    /// <summary>Drops the entries of renamed users under both ids: the next request loads the history under the new one.</summary>
    public void Rename(UserRenames renames) => RemoveWhere((user, entry) => renames.TryGetNewIdByHash(entry.UserHash, out _) || renames.NewIds.Contains(user));

    void IUserStateHolder.ForgetAll() => Clear();

    // A miss loads and adds under its stripe's lock, so holding all of them (in index order, like Append)
    // means every load either finished before (and its entry is scanned) or starts after the change.
    private void RemoveWhere(Func<string, Entry, bool> drop)
    {
        var taken = 0;
        try
        {
            for (; taken < _stripes.Length; taken++) Monitor.Enter(_stripes[taken]);
            foreach (var (user, entry) in _map)
                if (drop(user, entry) && _map.TryRemove(user, out _)) Interlocked.Decrement(ref _count);
        }
        finally
        {
            while (--taken >= 0) Monitor.Exit(_stripes[taken]);
        }
    }

    /// <summary>True when the user's history is in memory.</summary>
    public bool Holds(string user) => _map.ContainsKey(user);

    /// <summary>Forgets every entry (the next request per user reads the store).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _map.Clear();
        _byHash.Clear();
        Volatile.Write(ref _count, 0);
        Interlocked.Increment(ref _drops);
    }

    private RecentEvent[] Load(string user)
    {
        var raw = _store.RecentEvents(user, _perUser);
        var events = new RecentEvent[raw.Count];
        for (var i = 0; i < events.Length; i++) events[i] = new RecentEvent(raw[i].Item, raw[i].Kind, raw[i].Timestamp, raw[i].Platform);
        return events;
    }

    // Every sequence number handed out since the last check must be one this server wrote (or, on a store that
    // announces appends, one announced and handled); otherwise someone else appended events and any entry may be missing them.
    private void CheckForeignWrites()
    {
        if (_signalled)
        {
            CheckAnnounced();
            return;
        }
        var now = Environment.TickCount64;
        if (now < Volatile.Read(ref _nextCheck) || !Monitor.TryEnter(_sequenceGate)) return;
        try
        {
            if (now < _nextCheck) return;
            _nextCheck = now + _refreshMs;
            var next = _store.NextEventSequence();
            if (Covered() < next) Clear();
            Forget(next);
        }
        finally { Monitor.Exit(_sequenceGate); }
    }

    /// <summary>
    /// Read-your-writes across replicas: before every answer, the store's next sequence number (one cheap read)
    /// must be covered by this server's own appends and the announcements it handled; an announcement still in
    /// flight (its append committed, its NOTIFY not yet here) is waited for, up to <see cref="AnnouncementWaitMs"/>,
    /// and after that the whole cache is dropped.
    /// </summary>
    private void CheckAnnounced()
    {
        var next = _store.NextEventSequence();
        if (Volatile.Read(ref _checkedUpTo) >= next) return;
        var deadline = Environment.TickCount64 + AnnouncementWaitMs;
        lock (_sequenceGate)
        {
            while (Covered() < next && Environment.TickCount64 < deadline) Monitor.Wait(_sequenceGate, 5);
            if (Covered() < next) Clear();
            Forget(next);
        }
    }

    /// <summary>Longest wait for an announcement of an append that already committed (they arrive within milliseconds).</summary>
    private const int AnnouncementWaitMs = 200;

    // The first sequence number not accounted for (own or handled ranges, merged from _checkedUpTo). Call under _sequenceGate.
    private long Covered()
    {
        _ours.Sort();
        var cursor = _checkedUpTo;
        foreach (var (first, last) in _ours)
        {
            if (last < cursor) continue;
            if (first > cursor) break;
            cursor = last + 1;
        }
        return cursor;
    }

    // Everything below next is accounted for now. Call under _sequenceGate.
    private void Forget(long next)
    {
        _ours.RemoveAll(r => r.Last < next);
        Volatile.Write(ref _checkedUpTo, Math.Max(_checkedUpTo, next));
    }

    private void MakeRoom()
    {
        if (Volatile.Read(ref _count) < _capacity) return;
        // Arbitrary eviction of a tenth: cheap, and a miss costs only one store read.
        var drop = Math.Max(1, _capacity / 10);
        foreach (var key in _map.Keys)
        {
            if (drop-- <= 0) break;
            if (_map.TryRemove(key, out _)) Interlocked.Decrement(ref _count);
        }
    }

    private object Stripe(string user) => _stripes[StripeIndex(user)];
    private int StripeIndex(string user) => (int)((uint)StringComparer.Ordinal.GetHashCode(user) % (uint)_stripes.Length);

    /// <summary>A user's latest events in arrival order, at most the capacity (the oldest go first); sized to what the user has.</summary>
    private sealed class Entry
    {
        private readonly List<RecentEvent> _events;
        private readonly int _capacity;

        /// <summary>The user's <see cref="UserIdHash"/>, computed once on a miss (which reads the store anyway) so that the lifecycle's changes match without rehashing every entry.</summary>
        public long UserHash { get; }

        /// <summary>When the load that made this entry had read the store, on the counter that <see cref="Append"/> also draws from.</summary>
        public long LoadTicket { get; }

        private long _lastSequence;

        public Entry(string user, RecentEvent[] newestFirst, int capacity, long loadTicket)
        {
            LoadTicket = loadTicket;
            UserHash = UserIdHash.Of(user);
            _capacity = capacity;
            _events = new List<RecentEvent>(Math.Min(capacity, newestFirst.Length + 4));
            for (var i = Math.Min(newestFirst.Length, capacity) - 1; i >= 0; i--) _events.Add(newestFirst[i]);
        }

        /// <summary>Appends the event stored at <paramref name="sequence"/>; false (nothing added) when a later one is already here.</summary>
        public bool Add(RecentEvent e, long sequence)
        {
            lock (_events)
            {
                if (sequence < _lastSequence) return false;
                _lastSequence = sequence;
                if (_events.Count == _capacity) _events.RemoveAt(0);
                _events.Add(e);
                return true;
            }
        }

        public RecentEvent[] NewestFirst()
        {
            lock (_events)
            {
                var result = new RecentEvent[_events.Count];
                for (var i = 0; i < result.Length; i++) result[i] = _events[_events.Count - 1 - i];
                return result;
            }
        }
    }
}
