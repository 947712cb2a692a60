using Merx.Core.Domain;
using Merx.Core.Trust;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Merx.Service.Trust;

/// <summary>
/// The server's online push-attack signal: every accepted event with an item passes through one <see cref="SurgeWindow"/>
/// (arrival time = the server's clock, not the event's timestamp, so a backfill of old events is not a surge). At start the
/// window is primed with the store's most recently active users (<see cref="MerxServerOptions.SurgePrimeUsers"/>), who count
/// as established; until that has finished nothing is observed or flagged (<see cref="Primed"/>). A user the window has never
/// seen is new. Deleted users leave the window at once (it is a <see cref="IUserStateHolder"/>). Only this process's
/// ingestion is seen: with several replicas each watches its own traffic.
/// </summary>
public sealed class IngestSignals : IUserStateHolder, IHostedService
{
    private readonly SurgeWindow _window;
    private readonly IEventStore _store;
    private readonly int _prime;
    private readonly ILogger<IngestSignals> _log;
    private readonly object _gate = new();
    private readonly Func<long> _clock;
    private volatile bool _primed;

    public IngestSignals(IEventStore store, IOptions<MerxServerOptions> options, ILogger<IngestSignals> log, TimeProvider? time = null)
    {
        var o = options.Value;
        _window = new SurgeWindow(o.SurgeOptions());
        _store = store;
        _prime = o.SurgePrimeUsers;
        _log = log;
        var clock = time ?? TimeProvider.System;
        _clock = () => clock.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>True once the established users are loaded; before that events are not observed.</summary>
    public bool Primed => _primed;

    public SurgeOptions Options => _window.Options;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(Prime, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Prime()
    {
        try
        {
            var users = _prime > 0 ? _store.RecentUsers(_prime) : [];
            var keys = users.Select(UserIdHash.Of).ToArray();
            lock (_gate) _window.MarkEstablished(keys);
            _log.LogInformation("surge signal: {Users} established users loaded", keys.Length);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Without the established users every returning customer would look new: stay off rather than raise false alarms.
            _log.LogWarning(e, "surge signal: could not load the established users; the signal stays off");
            return;
        }
        _primed = true;
    }

    /// <summary>Feeds accepted (pseudonymized) events to the window.</summary>
    public void Observe(IReadOnlyList<RawEvent> events)
    {
        if (!_primed) return;
        var now = _clock();
        var keys = new long[events.Count];
        for (var i = 0; i < keys.Length; i++) keys[i] = events[i].Item is null ? 0 : UserIdHash.Of(events[i].User);
        lock (_gate)
            for (var i = 0; i < keys.Length; i++)
                if (events[i].Item is { } item) _window.Observe(now, keys[i], events[i].User, item);
    }

    /// <summary>The signal now: flagged items and the next <paramref name="watch"/> items with the most new accounts.</summary>
    public SurgeReport Report(int watch = 10)
    {
        lock (_gate) return _window.Report(_clock(), watch);
    }

    public void Forget(UserSet users)
    {
        lock (_gate) _window.ForgetAccounts(users.ContainsHash);
    }

    /// <summary>A renamed user's arrivals leave the window (they were under the old pseudonym); the new id starts as established.</summary>
    public void Rename(UserRenames renames)
    {
        lock (_gate)
        {
            _window.ForgetAccounts(h => renames.TryGetNewIdByHash(h, out _));
            _window.MarkEstablished(renames.NewIds.Select(UserIdHash.Of));
        }
    }

    void IUserStateHolder.ForgetAll()
    {
        lock (_gate) _window.ForgetAccounts(_ => true);
        _primed = false;
        _ = Task.Run(Prime, CancellationToken.None);
    }
}
