namespace Merx.Storage.Tests.Contract;

/// <summary>
/// A storage backend under test: what each role's contract suite needs from it. A backend
/// implements this once and runs the suites by subclassing each role's contract with itself
/// (<c>SqliteContractTests.cs</c> does so for SQLite); a backend that implements only some roles
/// so far subclasses only those suites. One instance serves one test (xUnit makes a new test
/// class instance per test) and is disposed after it.
/// </summary>
public interface IStoreBackend : IDisposable
{
    /// <summary>Opens a new, empty store (its own file, schema or database).</summary>
    IMerxStore Create();

    /// <summary>Disposes <paramref name="store"/> and opens the same storage again.</summary>
    IMerxStore Reopen(IMerxStore store);
}

/// <summary>
/// What every role's contract suite shares: a fresh backend per test and the stores it opened,
/// all disposed after the test. The role suites (<see cref="EventStoreContract{TBackend}"/>,
/// <see cref="CatalogStoreContract{TBackend}"/>, <see cref="UserStoreContract{TBackend}"/>,
/// <see cref="ModelRegistryContract{TBackend}"/>, <see cref="ServingLogContract{TBackend}"/>,
/// <see cref="SettingsStoreContract{TBackend}"/>) derive from it. SQLite and PostgreSQL (issue 18) run them;
/// tests are <c>SkippableFact</c>s so that a backend whose server is not configured skips with a message.
/// </summary>
public abstract class StoreContract<TBackend> : IDisposable where TBackend : IStoreBackend, new()
{
    private readonly TBackend _backend = new();
    private readonly List<IMerxStore> _opened = [];

    /// <summary>A new, empty store, disposed after the test.</summary>
    protected IMerxStore NewStore() => Track(_backend.Create());

    /// <summary>The same storage as <paramref name="store"/>, reopened (<paramref name="store"/> is disposed).</summary>
    protected IMerxStore Reopen(IMerxStore store) => Track(_backend.Reopen(store));

    private IMerxStore Track(IMerxStore store)
    {
        _opened.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var s in _opened) s.Dispose();
        _backend.Dispose();
        GC.SuppressFinalize(this);
    }
}
