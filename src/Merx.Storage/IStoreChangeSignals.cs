namespace Merx.Storage;

/// <summary>What another process changed in a shared store.</summary>
public enum StoreChangeKind
{
    /// <summary>Events were appended (<see cref="StoreChange.First"/>…<see cref="StoreChange.Last"/>).</summary>
    Events = 0,

    /// <summary>A user was deleted or renamed (the user change feed moved).</summary>
    UserChanges = 1,

    /// <summary>A model version was published.</summary>
    Models = 2,

    /// <summary>The catalog changed (items upserted, deleted, in or out of stock).</summary>
    Catalog = 3,
}

/// <summary>
/// One announced change. For <see cref="StoreChangeKind.Events"/>: the sequence numbers appended and the
/// <see cref="UserIdHash"/> of every user they name, or null when the batch named too many users to list
/// (or the announcement may have been missed): then any user's history may be stale.
/// </summary>
public readonly record struct StoreChange(StoreChangeKind Kind, long First = 0, long Last = 0, IReadOnlyList<long>? UserHashes = null);

/// <summary>
/// A store shared by several processes that announces their changes as they commit (the PostgreSQL
/// backend, with LISTEN/NOTIFY), so that each process drops exactly the cached state a change made stale
/// and swaps models at once, instead of polling. A store without it (SQLite) is polled.
/// </summary>
public interface IStoreChangeSignals
{
    /// <summary>
    /// Raised on a background thread for every change another process committed, in commit order; after the
    /// listening connection was lost and is back, once per kind with no details (anything may have changed).
    /// </summary>
    event Action<StoreChange>? Changed;
}
