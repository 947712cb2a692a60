using System.Collections.Concurrent;
using System.Threading.Channels;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Merx.Service.Serving;

/// <summary>
/// Writes served recommendations to the store in batches off the request path (one transaction
/// every few milliseconds instead of one per request: at 2,000 requests/s a commit per request
/// would serialise the server on the store's lock). Until a record is written it is answered from
/// memory, so feedback that arrives a moment after the response is still attributed. A list not yet
/// written follows its user's deletion or rename (<see cref="UserLifecycle"/>): it is dropped or re-addressed,
/// never written back under a forgotten or retired id.
/// </summary>
public sealed class ServedLog(IServingLog store, ILogger<ServedLog> log) : BackgroundService, IUserStateHolder
{
    private readonly ConcurrentDictionary<string, ServedRecommendation> _pending = new(StringComparer.Ordinal);
    private readonly Channel<ServedRecommendation> _queue = Channel.CreateUnbounded<ServedRecommendation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly Channel<(string Id, Func<SlotLogging?> Logging)> _redraws = Channel.CreateUnbounded<(string, Func<SlotLogging?>)>();
    private readonly Lock _redrawGate = new();
    private int _awaiting;
    private long _skipped;

    /// <summary>Most lists waiting for their propensity redraws; beyond it a list is written without propensities (counted in <see cref="RedrawsSkipped"/>).</summary>
    public const int MaxAwaitingRedraws = 1000;

    /// <summary>Lists written without propensities because <see cref="MaxAwaitingRedraws"/> were waiting.</summary>
    public long RedrawsSkipped => Interlocked.Read(ref _skipped);

    /// <summary>
    /// Queues a served list for writing. With <paramref name="redrawnLogging"/> (issue #23: the policy's propensity
    /// redraws, <c>RecommendationService.RedrawnLogging</c>) the list is answered from memory at once and written once
    /// its logging record has been worked out, one list at a time on a background thread, after the response has gone.
    /// </summary>
    public void Add(ServedRecommendation served, Func<SlotLogging?>? redrawnLogging = null)
    {
        _pending[served.Id] = served;
        if (redrawnLogging is not null)
        {
            if (Interlocked.Increment(ref _awaiting) <= MaxAwaitingRedraws && _redraws.Writer.TryWrite((served.Id, redrawnLogging))) return;
            Interlocked.Decrement(ref _awaiting);
            Interlocked.Increment(ref _skipped);
        }
        _queue.Writer.TryWrite(served);
    }

    /// <summary>Works out one waiting list's logging record and queues the list for writing (under the redraw lock); false when none waits.</summary>
    private bool RedrawOne()
    {
        if (!_redraws.Reader.TryRead(out var job)) return false;
        SlotLogging? logging = null;
        try { logging = job.Logging(); }
        catch (Exception e) { log.LogError(e, "estimating the propensities of served list {Id} failed; it is written without them", job.Id); }
        Interlocked.Decrement(ref _awaiting);
        // The list as it is now: a deleted user's is gone (nothing is written), a renamed user's re-addressed.
        while (_pending.TryGetValue(job.Id, out var current))
            if (_pending.TryUpdate(job.Id, current with { Logging = logging }, current)) { _queue.Writer.TryWrite(current); break; }
        return true;
    }

    public ServedRecommendation? Get(string id) => _pending.TryGetValue(id, out var s) ? s : store.GetServed(id);

    /// <summary>Writes everything queued so far (before a deletion, and at shutdown).</summary>
    public void Flush()
    {
        lock (_redrawGate) while (RedrawOne()) { } // lists waiting for their propensities first (the one in progress finishes)
        _flushGate.Wait();
        try
        {
            var batch = new List<ServedRecommendation>();
            // What is pending now: a list of a user deleted meanwhile is gone, one of a renamed user re-addressed.
            while (_queue.Reader.TryRead(out var s))
                if (_pending.TryGetValue(s.Id, out var current)) batch.Add(current);
            if (batch.Count == 0) return;
            store.RecordServed(batch);
            foreach (var s in batch) _pending.TryRemove(s.Id, out _);
        }
        finally { _flushGate.Release(); }
    }

    void IUserStateHolder.FlushUserWrites() => Flush();

    /// <summary>Drops the unwritten lists of deleted users (under the flush lock: a flush in progress writes before the deletion is applied, or not at all).</summary>
    public void Forget(UserSet users) => Pending((id, s) =>
    {
        if (users.Contains(s.User)) _pending.TryRemove(id, out _);
    });

    /// <summary>Re-addresses the unwritten lists of renamed users to their new ids (the store renamed the written ones).</summary>
    public void Rename(UserRenames renames) => Pending((id, s) =>
    {
        if (renames.TryGetNewId(s.User, out var to)) _pending[id] = s with { User = to };
    });

    void IUserStateHolder.ForgetAll() { } // nothing pending outlives a flush, a few milliseconds

    private void Pending(Action<string, ServedRecommendation> visit)
    {
        _flushGate.Wait();
        try
        {
            foreach (var (id, s) in _pending) visit(id, s);
        }
        finally { _flushGate.Release(); }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var redraws = Task.Run(() => RedrawLoop(stoppingToken), stoppingToken);
        await WriteLoop(stoppingToken);
        try { await redraws; } catch (OperationCanceledException) { }
    }

    /// <summary>Propensity redraws, one list at a time (at most one core), off the request path.</summary>
    private async Task RedrawLoop(CancellationToken stoppingToken)
    {
        try
        {
            while (await _redraws.Reader.WaitToReadAsync(stoppingToken))
                lock (_redrawGate) RedrawOne();
        }
        catch (OperationCanceledException) { }
    }

    private async Task WriteLoop(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(20, stoppingToken);
                try { Flush(); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "writing served recommendations failed; will retry"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Flush();
    }
}
