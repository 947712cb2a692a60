using Merx.Storage.Sqlite;

namespace Merx.Storage;

/// <summary>
/// The one way a host opens a store from a <c>--db</c> value (see <see cref="StoreLocation.Parse"/>),
/// so that every command and the server accept the same forms and refuse the same ones.
/// </summary>
public static partial class MerxStores
{
    /// <summary>
    /// Opens the store <paramref name="db"/> names: a SQLite file (created with its folder when missing,
    /// tuned by <paramref name="sqlite"/>). A PostgreSQL URL is a <see cref="NotSupportedException"/>
    /// (this build has no PostgreSQL backend) and any other scheme an <see cref="ArgumentException"/>;
    /// neither creates a file or folder, and neither message carries the password.
    /// </summary>
    public static IMerxStore Open(string db, SqliteStoreOptions? sqlite = null) => Locate(db) switch
    {
        SqliteLocation file => SqliteStore.Open(file.Path, sqlite),
        var other => throw new NotSupportedException($"no backend opens {other.GetType().Name}"),
    };

    /// <summary>
    /// Parses <paramref name="db"/> and checks that this build has its backend, touching nothing:
    /// throws what <see cref="Open"/> would. Commands check their <c>--db</c> value with it before
    /// doing anything else (a pseudonymization key file is written beside a new store, for one).
    /// </summary>
    public static StoreLocation Locate(string db) => StoreLocation.Parse(db) switch
    {
        PostgresLocation pg => throw new NotSupportedException($"the PostgreSQL backend is not available in this build ({pg}): use a SQLite file path for now"),
        var location => location,
    };
}
