namespace Merx.Storage;

/// <summary>
/// One row of the shared bandit log (<see cref="ISharedServingState"/>): feedback a replica received
/// (<see cref="Resolution"/> false: the user, the recommendation, the item, clicked or not, and the policy
/// update when this replica served the list and so knew the decision), or the update another replica
/// worked out for feedback on a list it served (<see cref="Resolution"/> true). Every replica applies every
/// row's <see cref="Update"/> in <see cref="Seq"/> order, which is commit order.
/// </summary>
public sealed record BanditLogRecord(long Seq, string Instance, bool Resolution, string User, string? RecommendationId, string? Item, bool Clicked, byte[]? Update);

/// <summary>
/// Serving state that several replicas over one store must share rather than keep per process (issue 18):
/// the bandit policy's learning, and rate-limit counters. The PostgreSQL backend implements it; a SQLite
/// store is one process's and has no need of it (its server keeps these in memory).
/// </summary>
public interface ISharedServingState
{
    /// <summary>This process's name in the log (other replicas' rows are the ones with another instance).</summary>
    string Instance { get; }

    /// <summary>
    /// Appends rows to <paramref name="policy"/>'s log in one transaction, taking their sequence numbers
    /// under a lock held to the commit, so that sequence order is commit order and a reader that saw
    /// row n has seen every row before it. The records' <see cref="BanditLogRecord.Seq"/> and Instance are ignored.
    /// </summary>
    void AppendBanditLog(string policy, IReadOnlyList<BanditLogRecord> records);

    /// <summary>Rows of <paramref name="policy"/>'s log after <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<BanditLogRecord> BanditLogAfter(string policy, long after, int limit);

    /// <summary>Deletes rows of <paramref name="policy"/>'s log at or before <paramref name="upTo"/> that are older than <paramref name="age"/>; returns how many.</summary>
    int PruneBanditLog(string policy, long upTo, TimeSpan age);

    /// <summary>
    /// Counts one request of <paramref name="client"/> in the fixed window <paramref name="window"/> (e.g. the
    /// Unix second) across every replica; returns the window's count including this one. Windows more than a
    /// minute old are removed from time to time.
    /// </summary>
    ValueTask<long> CountRequestAsync(string client, long window, CancellationToken cancel = default);
}
