using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Merx.Storage.Postgres;

/// <summary>State the replicas share (issue 18): the bandit log and the rate-limit counters.</summary>
public sealed partial class PostgresStore : ISharedServingState
{
    /// <summary>Advisory lock key held by a bandit-log writer to its commit ("merx-ban" as ASCII): sequence order = commit order.</summary>
    private const long BanditLogLock = 0x6d6572782d62616e;
    private long _lastRatePrune = Stopwatch.GetTimestamp();

    public string Instance => _instance;

    public void AppendBanditLog(string policy, IReadOnlyList<BanditLogRecord> records)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return;
        foreach (var r in records) ArgumentNullException.ThrowIfNull(r.User, nameof(records));
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var c = Connect();
        using var tx = c.BeginTransaction();
        // Taken before the rows draw their sequence numbers and held to the commit: a reader never sees row n+1 without row n.
        Exec(c, tx, $"SELECT pg_advisory_xact_lock({Scoped(BanditLogLock)})");
        using var cmd = Command(c, tx, """
            INSERT INTO bandit_log(policy, instance, resolution, user_ext, rec_id, item, clicked, update, at)
            VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, policy, _instance, false, "", new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text }, new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text },
            false, new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea }, at);
        foreach (var r in records)
        {
            cmd.Parameters[2].Value = r.Resolution;
            cmd.Parameters[3].Value = r.User;
            cmd.Parameters[4].Value = (object?)r.RecommendationId ?? DBNull.Value;
            cmd.Parameters[5].Value = (object?)r.Item ?? DBNull.Value;
            cmd.Parameters[6].Value = r.Clicked;
            cmd.Parameters[7].Value = (object?)r.Update ?? DBNull.Value;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public IReadOnlyList<BanditLogRecord> BanditLogAfter(string policy, long after, int limit)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        using var c = Connect();
        using var cmd = Command(c, null, """
            SELECT seq, instance, resolution, user_ext, rec_id, item, clicked, update FROM bandit_log
            WHERE policy = $1 AND seq > $2 ORDER BY seq LIMIT $3
            """, policy, after, limit);
        using var r = cmd.ExecuteReader();
        var rows = new List<BanditLogRecord>();
        while (r.Read())
            rows.Add(new BanditLogRecord(r.GetInt64(0), r.GetString(1), r.GetBoolean(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetBoolean(6), r.IsDBNull(7) ? null : (byte[])r[7]));
        return rows;
    }

    public int PruneBanditLog(string policy, long upTo, TimeSpan age)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var c = Connect();
        return Exec(c, null, "DELETE FROM bandit_log WHERE policy = $1 AND seq <= $2 AND at < $3", policy, upTo,
            DateTimeOffset.UtcNow.Add(-age).ToUnixTimeMilliseconds());
    }

    public async ValueTask<long> CountRequestAsync(string client, long window, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await using var c = await _source.OpenConnectionAsync(cancel);
        // A counter is not worth a WAL flush per request: the table is unlogged, so a transaction writing only it commits
        // without waiting for one (a crash empties it: counts are lost, never events).
        await using var cmd = Command(c, null, """
            INSERT INTO rate_counts(client, win, n) VALUES($1, $2, 1)
            ON CONFLICT(client, win) DO UPDATE SET n = rate_counts.n + 1 RETURNING n
            """, client, window);
        var n = (long)(await cmd.ExecuteScalarAsync(cancel))!;
        if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRatePrune)) > TimeSpan.FromSeconds(10))
        {
            Interlocked.Exchange(ref _lastRatePrune, Stopwatch.GetTimestamp());
            await using var prune = Command(c, null, "DELETE FROM rate_counts WHERE win < $1", window - 60);
            await prune.ExecuteNonQueryAsync(cancel);
        }
        return n;
    }
}
