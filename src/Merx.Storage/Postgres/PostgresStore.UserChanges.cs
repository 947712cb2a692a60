using Npgsql;

namespace Merx.Storage.Postgres;

/// <summary>
/// The user change feed (<see cref="IUserChangeFeed"/>, table <c>user_changes</c>). Writers of the feed
/// take one transaction-scoped advisory lock, so sequence numbers commit in order and a reader never
/// skips a change that commits late. <see cref="UserChangeVersion"/> costs no round trip: it counts
/// this store's own recorded changes plus the NOTIFYs of other processes' changes heard by the change
/// listener (<see cref="StoreSignals"/>).
/// </summary>
public sealed partial class PostgresStore
{
    /// <summary>How long a recorded change is kept (as in SQLite): a reader that falls further behind starts its per-user state over.</summary>
    public static readonly TimeSpan UserChangeRetention = TimeSpan.FromDays(1);

    /// <summary>Advisory lock key serializing writers of the feed ("merx-ucf").</summary>
    private const long FeedLock = 0x6d6572782d756366;

    private long _ownUserChanges;

    public long UserChangeVersion() => Interlocked.Read(ref _ownUserChanges) + Signals().Version(StoreChangeKind.UserChanges);

    private void NoteOwnUserChange() => Interlocked.Increment(ref _ownUserChanges);

    public long LatestUserChange()
    {
        using var c = Connect();
        return (long)Scalar(c, null, "SELECT GREATEST(COALESCE((SELECT MAX(seq) FROM user_changes), 0), (SELECT value FROM counters WHERE name = 'user_changes_pruned'))")!;
    }

    public UserChangePage UserChangesAfter(long after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var c = Connect();
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var pruned = (long)Scalar(c, tx, "SELECT value FROM counters WHERE name = 'user_changes_pruned'")!;
        using var cmd = Command(c, tx, "SELECT seq, kind, user_hash, new_id FROM user_changes WHERE seq > $1 ORDER BY seq LIMIT $2", after, limit);
        var changes = new List<UserChange>();
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                changes.Add(new UserChange(r.GetInt64(0), (UserChangeKind)r.GetInt16(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3)));
        tx.Commit();
        return new UserChangePage(changes, pruned);
    }

    /// <summary>Records a deletion: the id only as its hash; renames that named it as their new id forget that id.</summary>
    private void RecordDeletion(NpgsqlConnection c, NpgsqlTransaction tx, string userId)
    {
        Exec(c, tx, $"SELECT pg_advisory_xact_lock({Scoped(FeedLock)})");
        Exec(c, tx, "UPDATE user_changes SET new_id = NULL WHERE new_id = $1", userId);
        RecordUserChange(c, tx, UserChangeKind.Deleted, userId, null);
    }

    /// <summary>Adds one change to the feed (in the caller's transaction), prunes what is older than <see cref="UserChangeRetention"/>, and announces it.</summary>
    private void RecordUserChange(NpgsqlConnection c, NpgsqlTransaction tx, UserChangeKind kind, string oldId, string? newId)
    {
        Exec(c, tx, $"SELECT pg_advisory_xact_lock({Scoped(FeedLock)})");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var cmd = Command(c, tx, "INSERT INTO user_changes(kind, user_hash, new_id, at) VALUES($1, $2, $3, $4)", (short)kind, UserIdHash.Of(oldId), newId ?? (object)DBNull.Value, now))
        {
            cmd.Parameters[2].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text;
            cmd.ExecuteNonQuery();
        }
        if (Scalar(c, tx, "SELECT MAX(seq) FROM user_changes WHERE at < $1", now - (long)UserChangeRetention.TotalMilliseconds) is long upTo)
        {
            Exec(c, tx, "DELETE FROM user_changes WHERE seq <= $1", upTo);
            Exec(c, tx, "UPDATE counters SET value = GREATEST(value, $1) WHERE name = 'user_changes_pruned'", upTo);
        }
        Notify(c, tx, new StoreChange(StoreChangeKind.UserChanges));
    }
}

public sealed partial class PostgresStore
{
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly Lock _signalsGate = new();
    private StoreSignals? _signals;

    /// <summary>
    /// Raised (on a background thread) when another process announces a change: events appended, a user
    /// deleted or renamed, a model published. Hosts use it to drop or refresh caches at once instead of
    /// polling. Subscribing starts the listener.
    /// </summary>
    public event Action<StoreChange>? Changed
    {
        add => Signals().Changed += value;
        remove => Signals().Changed -= value;
    }

    /// <summary>The version of <paramref name="kind"/> as heard from other processes (no round trip).</summary>
    public long ChangeVersion(StoreChangeKind kind) => Signals().Version(kind);

    private string Channel => "merx_" + _options.Schema;

    private StoreSignals Signals()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_signals is { } s) return s;
        lock (_signalsGate) return _signals ??= new StoreSignals(_connectionString, Channel, _instance);
    }

    private void Notify(NpgsqlConnection c, NpgsqlTransaction tx, StoreChange change) =>
        Exec(c, tx, "SELECT pg_notify($1, $2)", Channel, StoreSignals.Payload(_instance, change));

    private void StopListening()
    {
        lock (_signalsGate) _signals?.Dispose();
    }
}
