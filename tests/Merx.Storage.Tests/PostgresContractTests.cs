using Merx.Storage.Postgres;
using Merx.Storage.Tests.Contract;
using Npgsql;

namespace Merx.Storage.Tests;

/// <summary>
/// The PostgreSQL backend under the same contract suites as SQLite (issue 18). The database comes from
/// <c>MERX_TEST_POSTGRES</c> (a <c>postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c> URL; <c>.ci/run</c>
/// starts a throwaway cluster and sets it); without it every test here is skipped with that message.
/// Each store gets a schema of its own, dropped after the test.
/// </summary>
public sealed class PostgresBackend : IStoreBackend
{
    /// <summary>The environment variable naming the test database.</summary>
    public const string Variable = "MERX_TEST_POSTGRES";

    private readonly List<string> _schemas = [];
    private readonly Dictionary<IMerxStore, string> _schemaOf = [];

    public PostgresBackend()
    {
        Skip.If(Location is null, $"{Variable} is not set: set it to postgres://USER@HOST:PORT/DATABASE of a server you may write to (.ci/run starts one) to run the PostgreSQL contract tests");
    }

    /// <summary>The test database, or null when none is configured.</summary>
    public static PostgresLocation? Location =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url ? (PostgresLocation)StoreLocation.Parse(url) : null;

    public IMerxStore Create()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N")[..16];
        _schemas.Add(schema);
        return Open(schema);
    }

    public IMerxStore Reopen(IMerxStore store)
    {
        var schema = _schemaOf[store];
        store.Dispose();
        return Open(schema);
    }

    /// <summary>The options of a store in <paramref name="schema"/> (dropped after the test).</summary>
    public PostgresStoreOptions Options(string schema)
    {
        if (!_schemas.Contains(schema)) _schemas.Add(schema);
        return new PostgresStoreOptions { Schema = schema, MaxPoolSize = 4 };
    }

    /// <summary>Opens the store in <paramref name="schema"/> (created when missing, dropped after the test); the caller disposes it.</summary>
    public PostgresStore Open(string schema)
    {
        var store = PostgresStore.Open(Location!, Options(schema));
        _schemaOf[store] = schema;
        return store;
    }

    public void Dispose()
    {
        if (_schemas.Count == 0) return;
        var cs = PostgresStore.ConnectionString(Location!, new PostgresStoreOptions());
        cs.Pooling = false;
        using var c = new NpgsqlConnection(cs.ConnectionString);
        c.Open();
        foreach (var schema in _schemas)
        {
            using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", c);
            cmd.ExecuteNonQuery();
        }
    }
}

public sealed class PostgresEventStoreTests : EventStoreContract<PostgresBackend>;

public sealed class PostgresCatalogStoreTests : CatalogStoreContract<PostgresBackend>;

public sealed class PostgresUserStoreTests : UserStoreContract<PostgresBackend>;

public sealed class PostgresUserLinkTests : UserLinkContract<PostgresBackend>;

public sealed class PostgresModelRegistryTests : ModelRegistryContract<PostgresBackend>;

public sealed class PostgresServingLogTests : ServingLogContract<PostgresBackend>;

public sealed class PostgresSettingsStoreTests : SettingsStoreContract<PostgresBackend>;

public sealed class PostgresUserChangeFeedContractTests : UserChangeFeedContract<PostgresBackend>;
