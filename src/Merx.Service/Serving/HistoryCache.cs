using System.Collections.Concurrent;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.Extensions.Options;

namespace Merx.Service.Serving;

/// <summary>One remembered event of a user's recent history: what the ranking needs, nothing more.</summary>
public readonly record struct RecentEvent(string? Item, EventKind Kind, long Timestamp);

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
/// <see cref="MerxServerOptions.HistoryCacheRefreshMs"/> later and drop the whole cache. Deletions and
/// renames of users, by any process, reach it through <see cref="UserLifecycle"/> before the next answer.
/// </para>
/// </summary>
public sealed class HistoryCache : IUserStateHolder
{
    private readonly IEventStore _store;
    private readonly int _perUser, _capacity;
    private readonly long _refreshMs;
    private readonly ConcurrentDictionary<string, Entry> _map = new(StringComparer.Ordinal);
    private readonly object[] _stripes = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();
    private readonly object _sequenceGate = new();
    private readonly List<(long First, long Last)> _ours = [];  // sequence ranges this server wrote since the last check
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
                if (_map.TryAdd(user, new Entry(user, events, _perUser, ticket))) Interlocked.Increment(ref _count);
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
        lock (_sequenceGate) _ours.Add((batch.FirstSequence, batch.LastSequence));
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
                if (entry.LoadTicket > ticket || !entry.Add(new RecentEvent(e.Item, e.Kind, e.Timestamp), batch.FirstSequence + i))
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
        Volatile.Write(ref _count, 0);
        Interlocked.Increment(ref _drops);
    }

    private RecentEvent[] Load(string user)
    {
        var raw = _store.RecentEvents(user, _perUser);
        var events = new RecentEvent[raw.Count];
        for (var i = 0; i < events.Length; i++) events[i] = new RecentEvent(raw[i].Item, raw[i].Kind, raw[i].Timestamp);
        return events;
    }

    // Every sequence number handed out since the last check must be one this server wrote;
    // otherwise someone else appended events and any entry may be missing them.
    private void CheckForeignWrites()
    {
        var now = Environment.TickCount64;
        if (now < Volatile.Read(ref _nextCheck) || !Monitor.TryEnter(_sequenceGate)) return;
        try
        {
            if (now < _nextCheck) return;
            _nextCheck = now + _refreshMs;
            var next = _store.NextEventSequence();
            _ours.Sort();
            var cursor = _checkedUpTo;
            foreach (var (first, last) in _ours)
            {
                if (last < cursor) continue;
                if (first > cursor) break;
                cursor = last + 1;
            }
            if (cursor < next) Clear();
            _ours.RemoveAll(r => r.Last < next);
            _checkedUpTo = Math.Max(_checkedUpTo, next);
        }
        finally { Monitor.Exit(_sequenceGate); }
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
