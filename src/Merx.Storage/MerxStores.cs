using Merx.Storage.Postgres;
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
    /// tuned by <paramref name="sqlite"/>) or a PostgreSQL database (<see cref="PostgresStore.Open"/>: the
    /// database is created when missing; one that cannot be reached is an <see cref="IOException"/>). Any
    /// other scheme is an <see cref="ArgumentException"/> that creates no file or folder. No message carries
    /// the password. The PostgreSQL driver (Npgsql) is loaded only when a PostgreSQL store is opened.
    /// </summary>
    public static IMerxStore Open(string db, SqliteStoreOptions? sqlite = null) => Locate(db) switch
    {
        SqliteLocation file => SqliteStore.Open(file.Path, sqlite),
        PostgresLocation pg => OpenPostgres(pg),
        var other => throw new NotSupportedException($"no backend opens {other.GetType().Name}"),
    };

    // Its own method, so that the JIT loads Npgsql only when this runs.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IMerxStore OpenPostgres(PostgresLocation location) => PostgresStore.Open(location);

    /// <summary>
    /// Parses <paramref name="db"/> and checks that this build has its backend, touching nothing:
    /// throws what <see cref="Open"/> would. Commands check their <c>--db</c> value with it before
    /// doing anything else (a pseudonymization key file is written beside a new store, for one).
    /// </summary>
    public static StoreLocation Locate(string db) => StoreLocation.Parse(db);

    /// <summary>
    /// Whether the store <paramref name="db"/> names may be opened by a command that must not create one: a SQLite
    /// file must exist; a PostgreSQL database is the server's business (opening it says whether it can be reached).
    /// </summary>
    public static bool Exists(string db) => Locate(db) switch
    {
        SqliteLocation file => File.Exists(file.Path),
        _ => true,
    };
}
