using Merx.Storage.Postgres;
using Merx.Storage.Sqlite;

namespace Merx.Storage;

/// <summary>
/// The lock that lets only one worker train at a time over a store (issue 18): a PostgreSQL advisory lock
/// (held by a connection of the lease: a killed worker's lock goes with its connection), or for a SQLite
/// file an exclusive lock file beside it (<c>&lt;db&gt;.train.lock</c>, released by the OS when the process dies).
/// </summary>
public static class TrainingLock
{
    /// <summary>Advisory lock key of training ("merx-trn").</summary>
    public const long Key = 0x6d6572782d74726e;

    /// <summary>The lease, or null when another worker holds the lock. Never waits.</summary>
    public static IDisposable? TryAcquire(IMerxStore store) => store switch
    {
        PostgresStore pg => pg.TryAdvisoryLock(Key),
        SqliteStore file => TryLockFile(file.Path + ".train.lock"),
        _ => throw new NotSupportedException($"no training lock for {store.GetType().Name}"),
    };

    private static FileStream? TryLockFile(string path)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) { return null; }
    }
}
