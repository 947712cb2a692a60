using System.Collections.Concurrent;
using Merx.Core.Domain;
using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Merx.Service.Serving;

/// <summary>
/// The explore/exploit policy of the service. "discovery" is the simple built-in stage; any bandit
/// policy name ("dynamic", "thompson", "linucb", … with an optional ":parameter" and "@budget") learns online: each
/// served list's decision is remembered by its recommendation id, and impression / click feedback on
/// it updates the policy within the request. The learned state is saved in the store every 30 s and
/// at shutdown, and restored at start (a state of another configuration is discarded with a warning).
/// <para>
/// Over a store that replicas share (<see cref="ISharedServingState"/>, PostgreSQL) the policy learns from
/// the feedback every replica receives (issue 18): each feedback entry becomes a row of the store's bandit
/// log, with the policy's update when this replica served the list; the replica that served a list another
/// replica got the feedback for adds the update as a resolution row. Every replica applies every update in
/// log order, within the request for its own feedback and every <see cref="FoldInterval"/> for the others',
/// so their learned statistics agree; the saved state carries the log position it includes.
/// </para>
/// </summary>
public sealed class PolicyHost(ISettingsStore store, IOptions<MerxServerOptions> options, ILogger<PolicyHost> log) : BackgroundService, IUserStateHolder
{
    public const int MaxRemembered = 200_000;
    /// <summary>How often a replica applies the other replicas' feedback (shared stores).</summary>
    public static readonly TimeSpan FoldInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(30), LogKept = TimeSpan.FromHours(1);
    private const int FoldBatch = 1000;
    private static readonly double RecentHalfLifeTicks = TimeSpan.FromHours(1).Ticks;
    private readonly ISharedServingState? _shared = store as ISharedServingState;
    private readonly ConcurrentDictionary<string, (ExplorationTrace Trace, CatalogIndex Catalog)> _decisions = new(StringComparer.Ordinal);
    // The remembered ids in the order they were served, and how many there are: ConcurrentDictionary.Count takes every
    // one of its locks (up to 1,024 at this size), which cost 5 % of a request's CPU when asked on every request.
    private readonly ConcurrentQueue<string> _decisionOrder = new();
    private int _decisionCount;
    private readonly Lock _foldGate = new();
    private long _applied; // the last bandit-log row applied (shared stores)
    private bool _foldFailing;
    // Per user: decayed impression and click counts, and the user's UserIdHash (computed once, for the lifecycle's changes).
    private readonly ConcurrentDictionary<string, (double Impressions, double Clicks, long At, long Hash)> _recent = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private IBanditPolicy? _policy;
    private ItemVectorSlot? _vectors;
    private int _dirty;

    public string Spec => options.Value.Policy;
    public bool Learning => !string.Equals(Spec, "discovery", StringComparison.OrdinalIgnoreCase);
    public IBanditPolicy? Policy => _policy;
    private string StateKey => "policy:" + Spec + (_shared is null ? "" : ":shared");

    /// <summary>The last row of the shared bandit log this replica's policy has applied (0 over SQLite).</summary>
    public long AppliedLogPosition { get { lock (_foldGate) return _applied; } }

    /// <summary>The exploration stage for a snapshot whose large model is <paramref name="primary"/> (creating the policy on first use).</summary>
    public IExplorationStage Stage(LoadedModel? primary)
    {
        if (!Learning) return new DiscoveryExploration();
        lock (_gate)
        {
            var scorer = primary?.Scorer;
            var dimension = scorer?.Dimension ?? 0;
            if (_policy is null || (_vectors?.Dimension ?? 0) != dimension)
            {
                _vectors = dimension > 0 ? new ItemVectorSlot(dimension) : null;
                var policy = BanditPolicies.CreateOver(Spec, _vectors);
                if (policy is BanditPolicy b) { b.PropensityDraws = options.Value.PropensityDraws; b.DeferPropensities = true; } // redrawn in ServedLog's queue
                lock (_foldGate)
                {
                    Restore(policy);
                    _policy = policy;
                }
            }
            if (_vectors is not null && scorer is { Encoder: not null }) _vectors.Point(scorer);
            return new BanditExploration(_policy, _vectors is null ? null : scorer, RecentFeedback, propensitySample: options.Value.PropensitySample);
        }
    }

    private void Restore(IBanditPolicy policy)
    {
        _applied = 0;
        byte[]? bytes = store.GetState(StateKey);
        // A shop moved from SQLite (merx migrate) carries the single process's state under the plain key; it includes no log row.
        if (bytes is null && _shared is not null && store.GetState("policy:" + Spec) is { } single) bytes = [.. BitConverter.GetBytes(0L), .. single];
        if (bytes is null) return;
        try
        {
            // Shared: the log position the state includes, then the state (the rest of the log is applied by the next fold).
            if (_shared is not null)
            {
                if (bytes.Length < sizeof(long)) throw new InvalidDataException("no log position");
                policy.LoadState(bytes[sizeof(long)..]);
                _applied = BitConverter.ToInt64(bytes, 0);
            }
            else policy.LoadState(bytes);
            log.LogInformation("restored the state of policy {Policy}", Spec);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or EndOfStreamException)
        {
            log.LogWarning("the stored state of policy {Policy} does not fit this configuration ({Reason}); starting fresh", Spec, e.Message);
        }
    }

    /// <summary>
    /// Keeps a served list's decision, with the catalog its item indices refer to, until its feedback arrives
    /// (the oldest are forgotten beyond <see cref="MaxRemembered"/>).
    /// </summary>
    public void Remember(string recommendationId, ExplorationTrace? trace, CatalogIndex catalog)
    {
        if (trace is null) return;
        if (!_decisions.TryAdd(recommendationId, (trace with { Pending = null }, catalog))) return; // the frozen sampler is the serving log's to run; ids are unique
        _decisionOrder.Enqueue(recommendationId);
        if (Interlocked.Increment(ref _decisionCount) <= MaxRemembered) return;
        for (var i = 0; i < MaxRemembered / 10 && _decisionOrder.TryDequeue(out var oldest); i++)
            if (_decisions.TryRemove(oldest, out _)) Interlocked.Decrement(ref _decisionCount);
    }

    /// <summary>How many served lists' decisions are remembered now.</summary>
    internal int RememberedDecisions => Volatile.Read(ref _decisionCount);

    /// <summary>Whether feedback on the list <paramref name="recommendationId"/> would still teach the policy.</summary>
    internal bool RemembersDecision(string recommendationId) => _decisions.ContainsKey(recommendationId);

    /// <summary>
    /// Teaches the policy feedback entries: an impression is a shown item without a click (reward 0), a click (or
    /// cart, purchase) reward 1. Over a shared store the entries go to the bandit log first (one transaction) and
    /// are applied, with whatever other replicas logged before them, before this returns.
    /// </summary>
    public void Learn(IReadOnlyList<FeedbackRecord> feedback)
    {
        var now = DateTime.UtcNow.Ticks;
        var rows = _shared is null ? null : new List<BanditLogRecord>(feedback.Count);
        foreach (var f in feedback)
        {
            var clicked = f.Kind != EventKind.Impression;
            CountRecent(f.User, clicked, now);
            var update = UpdateFor(f.RecommendationId, f.Item, clicked);
            if (rows is not null)
                rows.Add(new BanditLogRecord(0, "", false, f.User, f.RecommendationId, f.Item, clicked, update is null ? null : BanditFeedbackCodec.Encode(update)));
            else if (update is not null && _policy is { } policy)
            {
                policy.Update(update);
                Interlocked.Exchange(ref _dirty, 1);
            }
        }
        if (rows is not { Count: > 0 }) return;
        _shared!.AppendBanditLog(Spec, rows);
        Fold();
    }

    /// <summary>The policy update for feedback on an item of a list this process served; null when it did not serve it or the item was not in it.</summary>
    private BanditFeedback? UpdateFor(string recommendationId, string itemId, bool clicked)
    {
        if (!_decisions.TryGetValue(recommendationId, out var d)) return null;
        var item = d.Catalog.IndexOf(itemId);
        var slot = 0;
        while (slot < d.Trace.Picks.Count && d.Trace.Picks[slot].Item != item) slot++;
        if (slot == d.Trace.Picks.Count) return null;
        var pick = d.Trace.Picks[slot];
        return new BanditFeedback
        {
            Request = d.Trace.Request with { UserKey = "" }, Item = pick.Item, ExploitRank = pick.ExploitRank, Category = pick.Category, Slot = slot,
            Explored = pick.Explored, Clicked = clicked, SlateSize = d.Trace.Picks.Count,
        };
    }

    private void CountRecent(string user, bool clicked, long now) =>
        _recent.AddOrUpdate(user, u => (1, clicked ? 1 : 0, now, UserIdHash.Of(u)), (_, r) =>
        {
            var decay = Math.Pow(0.5, (now - r.At) / RecentHalfLifeTicks);
            return (r.Impressions * decay + 1, r.Clicks * decay + (clicked ? 1 : 0), now, r.Hash);
        });

    /// <summary>
    /// Applies the shared bandit log's rows after the last one applied, in order (shared stores; nothing before the
    /// policy exists): every row's update; other replicas' feedback also counts in the user's recent rates, and for a
    /// list this replica served it works out the update and logs it as a resolution.
    /// </summary>
    public void Fold()
    {
        if (_shared is null) return;
        lock (_foldGate)
        {
            if (_policy is not { } policy) return;
            while (true)
            {
                var rows = _shared.BanditLogAfter(Spec, _applied, FoldBatch);
                var resolutions = new List<BanditLogRecord>();
                var now = DateTime.UtcNow.Ticks;
                foreach (var row in rows)
                {
                    if (row.Update is { } bytes)
                    {
                        try { policy.Update(BanditFeedbackCodec.Decode(bytes)); Interlocked.Exchange(ref _dirty, 1); }
                        catch (Exception e) when (e is InvalidDataException or ArgumentException)
                        {
                            log.LogWarning("bandit log row {Seq} is not an update this policy takes ({Reason}); skipped", row.Seq, e.Message);
                        }
                    }
                    if (!row.Resolution && row.Instance != _shared.Instance)
                    {
                        CountRecent(row.User, row.Clicked, now);
                        if (row.Update is null && row.RecommendationId is { } rec && row.Item is { } item && UpdateFor(rec, item, row.Clicked) is { } update)
                            resolutions.Add(new BanditLogRecord(0, "", true, row.User, rec, item, row.Clicked, BanditFeedbackCodec.Encode(update)));
                    }
                    _applied = row.Seq;
                }
                if (resolutions.Count > 0) _shared.AppendBanditLog(Spec, resolutions);
                if (rows.Count < FoldBatch && resolutions.Count == 0) return;
            }
        }
    }

    /// <summary>Drops what the policy remembers of deleted users (their recent feedback rates); the learned model holds no per-user state.</summary>
    public void Forget(UserSet users)
    {
        foreach (var (user, r) in _recent)
            if (users.ContainsHash(r.Hash)) _recent.TryRemove(user, out _);
    }

    /// <summary>Moves renamed users' recent feedback rates (key rotation) to their new pseudonyms.</summary>
    public void Rename(UserRenames renames)
    {
        foreach (var (user, r) in _recent)
            if (renames.TryGetNewIdByHash(r.Hash, out var to) && _recent.TryRemove(user, out var moved))
                _recent.TryAdd(to, moved with { Hash = UserIdHash.Of(to) });
    }

    void IUserStateHolder.ForgetAll() => _recent.Clear();

    /// <summary>True when the policy remembers recent feedback of this user.</summary>
    public bool Remembers(string user) => _recent.ContainsKey(user);

    private (double Impressions, double Clicks) RecentFeedback(string user)
    {
        if (!_recent.TryGetValue(user, out var r)) return (0, 0);
        var decay = Math.Pow(0.5, (DateTime.UtcNow.Ticks - r.At) / RecentHalfLifeTicks);
        return (r.Impressions * decay, r.Clicks * decay);
    }

    /// <summary>
    /// Writes the policy's state to the store if it learned anything since the last save (shared stores: with the
    /// log position it includes, and rows of the log older than an hour that it includes are pruned).
    /// </summary>
    public void Save()
    {
        if (_shared is null)
        {
            if (_policy is not { } policy || Interlocked.Exchange(ref _dirty, 0) == 0) return;
            store.PutState(StateKey, policy.SaveState());
            return;
        }
        byte[] state; long applied;
        lock (_foldGate)
        {
            if (_policy is not { } policy || Interlocked.Exchange(ref _dirty, 0) == 0) return;
            (state, applied) = (policy.SaveState(), _applied);
        }
        store.PutState(StateKey, [.. BitConverter.GetBytes(applied), .. state]);
        _shared.PruneBanditLog(Spec, applied, LogKept);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _shared is null ? SaveInterval : FoldInterval;
        using var timer = new PeriodicTimer(interval);
        var lastSave = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Fold();
                    if (_foldFailing) log.LogInformation("the shared bandit log is readable again");
                    _foldFailing = false;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (!_foldFailing) log.LogWarning(e, "reading the shared bandit log failed; retrying every {Interval} ms", interval.TotalMilliseconds);
                    _foldFailing = true;
                }
                if (lastSave.Elapsed < SaveInterval) continue;
                lastSave.Restart();
                try { Save(); } catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "saving the policy state failed"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Save();
    }
}
