using Merx.Storage.Sqlite;
using Merx.Storage.Tests.Contract;

namespace Merx.Storage.Tests;

/// <summary>The SQLite backend under the contract suites: a store per file in a temporary folder, deleted after the test.</summary>
public sealed class SqliteBackend : IStoreBackend
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "merx-store-tests", Guid.NewGuid().ToString("N"));
    private int _files;

    /// <summary>A path for a new store file in a folder of its own, not created yet.</summary>
    public string NewPath() => Path.Combine(_dir, $"x{_files++}", "store.db");

    public IMerxStore Create() => SqliteStore.Open(NewPath());

    public IMerxStore Reopen(IMerxStore store)
    {
        var path = ((SqliteStore)store).Path;
        store.Dispose();
        return SqliteStore.Open(path);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The SQLite backend with every read through the writing connection (no read connections): the fallback path.</summary>
public sealed class SqliteWriterOnlyBackend : IStoreBackend
{
    private static readonly SqliteStoreOptions WriterOnly = new() { ReadConnections = 0 };
    private readonly SqliteBackend _files = new();

    public IMerxStore Create() => SqliteStore.Open(_files.NewPath(), WriterOnly);

    public IMerxStore Reopen(IMerxStore store)
    {
        var path = ((SqliteStore)store).Path;
        store.Dispose();
        return SqliteStore.Open(path, WriterOnly);
    }

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteEventStoreTests : EventStoreContract<SqliteBackend>;

public sealed class SqliteWriterOnlyEventStoreTests : EventStoreContract<SqliteWriterOnlyBackend>;

public sealed class SqliteWriterOnlyUserLinkTests : UserLinkContract<SqliteWriterOnlyBackend>;

public sealed class SqliteCatalogStoreTests : CatalogStoreContract<SqliteBackend>;

public sealed class SqliteUserStoreTests : UserStoreContract<SqliteBackend>;

public sealed class SqliteUserLinkTests : UserLinkContract<SqliteBackend>;

public sealed class SqliteModelRegistryTests : ModelRegistryContract<SqliteBackend>;

public sealed class SqliteServingLogTests : ServingLogContract<SqliteBackend>;

public sealed class SqliteSettingsStoreTests : SettingsStoreContract<SqliteBackend>;

public sealed class SqliteUserChangeFeedContractTests : UserChangeFeedContract<SqliteBackend>;
