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

    public void Add(ServedRecommendation served)
    {
        _pending[served.Id] = served;
        _queue.Writer.TryWrite(served);
    }

    public ServedRecommendation? Get(string id) => _pending.TryGetValue(id, out var s) ? s : store.GetServed(id);

    /// <summary>Writes everything queued so far (before a deletion, and at shutdown).</summary>
    public void Flush()
    {
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
