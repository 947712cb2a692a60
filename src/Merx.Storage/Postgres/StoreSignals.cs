using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>What a NOTIFY of the store announces.</summary>
public enum ChangeChannel
{
    /// <summary>Events were appended.</summary>
    Events = 0,

    /// <summary>A user was deleted or renamed (the user change feed moved).</summary>
    UserChanges = 1,

    /// <summary>A model version was published.</summary>
    Models = 2,
}

/// <summary>
/// Listens for the store's NOTIFYs on a connection of its own (issue 18: caches of several processes
/// kept coherent with LISTEN/NOTIFY). Writers send <c>pg_notify(channel, "kind:instance")</c> inside
/// their transaction, so a notification is delivered only if, and right after, the change commits.
/// A store ignores its own notifications (it counts its own changes when it makes them); for every
/// other one it moves that kind's version and raises <see cref="Changed"/>. While the listening
/// connection is down, notifications may be missed: every version moves on each read, so readers
/// re-check the store until the listener is back (and once more when it is).
/// </summary>
internal sealed class StoreSignals : IDisposable
{
    private const int Kinds = 3;
    private readonly string _connectionString, _channel, _instance;
    private readonly long[] _versions = new long[Kinds];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _firstAttempt = new();
    private volatile bool _connected;

    public StoreSignals(string connectionString, string channel, string instance)
    {
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 5 }.ConnectionString;
        _channel = channel;
        _instance = instance;
        _thread = new Thread(Run) { IsBackground = true, Name = "merx-pg-listen" };
        _thread.Start();
        _firstAttempt.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>Raised on the listener's thread for every change announced by another process (and for every kind after a reconnect).</summary>
    public event Action<ChangeChannel>? Changed;

    /// <summary>A token that moves whenever another process announced a change of <paramref name="kind"/> (or may have, while disconnected).</summary>
    public long Version(ChangeChannel kind) =>
        _connected ? Interlocked.Read(ref _versions[(int)kind]) : Interlocked.Increment(ref _versions[(int)kind]);

    /// <summary>The payload this store sends for <paramref name="kind"/>.</summary>
    public string Payload(ChangeChannel kind) => $"{(int)kind}:{_instance}";

    private void Run()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var c = new NpgsqlConnection(_connectionString);
                c.Open();
                c.Notification += (_, e) => OnNotification(e.Payload);
                using (var cmd = new NpgsqlCommand($"LISTEN {PostgresStore.Ident(_channel)}", c)) cmd.ExecuteNonQuery();
                _connected = true;
                BumpAll(); // whatever happened while not listening
                _firstAttempt.Set();
                backoff = TimeSpan.FromMilliseconds(100);
                while (!_stop.IsCancellationRequested) c.Wait(TimeSpan.FromSeconds(1));
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                _connected = false;
                _firstAttempt.Set();
                BumpAll();
                _stop.Token.WaitHandle.WaitOne(backoff);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
            }
            catch (Exception)
            {
                break;
            }
        }
        _connected = false;
    }

    private void OnNotification(string payload)
    {
        var colon = payload.IndexOf(':');
        if (colon < 0 || !int.TryParse(payload.AsSpan(0, colon), out var kind) || (uint)kind >= Kinds) return;
        if (payload.AsSpan(colon + 1).SequenceEqual(_instance)) return;
        Interlocked.Increment(ref _versions[kind]);
        Changed?.Invoke((ChangeChannel)kind);
    }

    private void BumpAll()
    {
        for (var k = 0; k < Kinds; k++)
        {
            Interlocked.Increment(ref _versions[k]);
            Changed?.Invoke((ChangeChannel)k);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(3));
        _stop.Dispose();
        _firstAttempt.Dispose();
    }
}
