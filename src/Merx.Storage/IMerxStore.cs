namespace Merx.Storage;

/// <summary>
/// Everything Merx persists, as one object: the composite of the storage roles, each its own
/// interface with its own contract tests (<see cref="IEventStore"/>, <see cref="ICatalogStore"/>,
/// <see cref="IUserStore"/>, <see cref="IModelRegistry"/>, <see cref="IServingLog"/>,
/// <see cref="ISettingsStore"/>). A backend implements all roles over one storage, because some
/// operations span them in one transaction (deleting or renaming a user reaches events, served
/// lists and feedback). A caller should depend on the roles it uses; this composite exists so a
/// host opens and owns one store (it is the only <see cref="IDisposable"/>) and hands out its roles.
/// Backend-neutral: ids are external strings (users already pseudonymized); dense integer keys are
/// the backend's business and never leak through these interfaces. Two backends, both opened through
/// <see cref="MerxStores.Open"/> and both passing the same role-by-role contract suite: the embedded SQLite
/// store (<see cref="Sqlite.SqliteStore"/>) and PostgreSQL (<see cref="Postgres.PostgresStore"/>, issue 18).
/// Implementations are safe to call from several threads (calls are serialized).
/// </summary>
public interface IMerxStore :
    IEventStore,
    ICatalogStore,
    IUserStore,
    IModelRegistry,
    IServingLog,
    ISettingsStore,
    IUserChangeFeed,
    IDisposable
{
    /// <summary>The schema version of the opened store (the highest migration applied).</summary>
    int SchemaVersion { get; }
}
