using System.Globalization;
using Npgsql;

namespace Merx.Storage.Postgres;

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
    private const int Kinds = 4;
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
    public event Action<StoreChange>? Changed;

    /// <summary>Most user hashes an events announcement lists (NOTIFY payloads are limited to 8000 bytes; 17 bytes each).</summary>
    public const int MaxListedUsers = 300;

    /// <summary>A token that moves whenever another process announced a change of <paramref name="kind"/> (or may have, while disconnected).</summary>
    public long Version(StoreChangeKind kind) =>
        _connected ? Interlocked.Read(ref _versions[(int)kind]) : Interlocked.Increment(ref _versions[(int)kind]);

    /// <summary>The payload announcing <paramref name="change"/>: <c>kind:instance[:first:last[:hash,hash,…]]</c>, hashes in hex.</summary>
    public static string Payload(string instance, StoreChange change)
    {
        if (change.Kind != StoreChangeKind.Events) return $"{(int)change.Kind}:{instance}";
        var users = change.UserHashes is { Count: <= MaxListedUsers } h ? string.Join(',', h.Select(x => x.ToString("x", CultureInfo.InvariantCulture))) : "*";
        return $"0:{instance}:{change.First}:{change.Last}:{users}";
    }

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
        var parts = payload.Split(':');
        if (parts.Length < 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var kind) || (uint)kind >= Kinds || parts[1] == _instance) return;
        var change = new StoreChange((StoreChangeKind)kind);
        if (kind == (int)StoreChangeKind.Events && parts.Length == 5
            && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var first) && long.TryParse(parts[3], CultureInfo.InvariantCulture, out var last))
            change = change with
            {
                First = first, Last = last,
                UserHashes = parts[4] == "*" ? null : parts[4].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => unchecked((long)ulong.Parse(x, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray(),
            };
        Interlocked.Increment(ref _versions[kind]);
        Changed?.Invoke(change);
    }

    private void BumpAll()
    {
        for (var k = 0; k < Kinds; k++)
        {
            Interlocked.Increment(ref _versions[k]);
            Changed?.Invoke(new StoreChange((StoreChangeKind)k));
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
