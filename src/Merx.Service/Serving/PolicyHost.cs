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
/// </summary>
public sealed class PolicyHost(ISettingsStore store, IOptions<MerxServerOptions> options, ILogger<PolicyHost> log) : BackgroundService, IUserStateHolder
{
    public const int MaxRemembered = 200_000;
    private static readonly double RecentHalfLifeTicks = TimeSpan.FromHours(1).Ticks;
    private readonly ConcurrentDictionary<string, (ExplorationTrace Trace, long At)> _decisions = new(StringComparer.Ordinal);
    // Per user: decayed impression and click counts, and the user's UserIdHash (computed once, for the lifecycle's changes).
    private readonly ConcurrentDictionary<string, (double Impressions, double Clicks, long At, long Hash)> _recent = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private IBanditPolicy? _policy;
    private ItemVectorSlot? _vectors;
    private int _dirty;

    public string Spec => options.Value.Policy;
    public bool Learning => !string.Equals(Spec, "discovery", StringComparison.OrdinalIgnoreCase);
    public IBanditPolicy? Policy => _policy;
    private string StateKey => "policy:" + Spec;

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
                _policy = BanditPolicies.CreateOver(Spec, _vectors);
                Restore(_policy);
            }
            if (_vectors is not null && scorer is { Encoder: not null }) _vectors.Point(scorer);
            return new BanditExploration(_policy, _vectors is null ? null : scorer, RecentFeedback);
        }
    }

    private void Restore(IBanditPolicy policy)
    {
        if (store.GetState(StateKey) is not { } bytes) return;
        try { policy.LoadState(bytes); log.LogInformation("restored the state of policy {Policy}", Spec); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or EndOfStreamException)
        {
            log.LogWarning("the stored state of policy {Policy} does not fit this configuration ({Reason}); starting fresh", Spec, e.Message);
        }
    }

    /// <summary>Keeps a served list's decision until its feedback arrives (the oldest are forgotten beyond <see cref="MaxRemembered"/>).</summary>
    public void Remember(string recommendationId, ExplorationTrace? trace)
    {
        if (trace is null) return;
        _decisions[recommendationId] = (trace, DateTime.UtcNow.Ticks);
        if (_decisions.Count > MaxRemembered)
            foreach (var old in _decisions.OrderBy(p => p.Value.At).Take(MaxRemembered / 10).ToArray()) _decisions.TryRemove(old.Key, out _);
    }

    /// <summary>Teaches the policy one feedback entry: an impression is a shown item without a click (reward 0), a click (or cart, purchase) reward 1.</summary>
    public void Learn(string recommendationId, string user, string itemId, EventKind kind, CatalogIndex catalog)
    {
        var clicked = kind != EventKind.Impression;
        var now = DateTime.UtcNow.Ticks;
        _recent.AddOrUpdate(user, u => (1, clicked ? 1 : 0, now, UserIdHash.Of(u)), (_, r) =>
        {
            var decay = Math.Pow(0.5, (now - r.At) / RecentHalfLifeTicks);
            return (r.Impressions * decay + 1, r.Clicks * decay + (clicked ? 1 : 0), now, r.Hash);
        });
        if (_policy is not { } policy || !_decisions.TryGetValue(recommendationId, out var d)) return;
        var item = catalog.IndexOf(itemId);
        var slot = 0;
        while (slot < d.Trace.Picks.Count && d.Trace.Picks[slot].Item != item) slot++;
        if (slot == d.Trace.Picks.Count) return;
        var pick = d.Trace.Picks[slot];
        policy.Update(new BanditFeedback
        {
            Request = d.Trace.Request, Item = pick.Item, ExploitRank = pick.ExploitRank, Category = pick.Category, Slot = slot,
            Explored = pick.Explored, Clicked = clicked, SlateSize = d.Trace.Picks.Count,
        });
        Interlocked.Exchange(ref _dirty, 1);
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

    /// <summary>Writes the policy's state to the store if it learned anything since the last save.</summary>
    public void Save()
    {
        if (_policy is not { } policy || Interlocked.Exchange(ref _dirty, 0) == 0) return;
        store.PutState(StateKey, policy.SaveState());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                try { Save(); } catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "saving the policy state failed"); }
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Save();
    }
}
