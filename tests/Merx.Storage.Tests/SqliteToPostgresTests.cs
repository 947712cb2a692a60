using Merx.Core.Domain;
using Merx.Storage.Postgres;
using Merx.Storage.Sqlite;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests;

/// <summary>
/// <c>merx migrate</c> (issue 18): a whole shop moves from SQLite into PostgreSQL and reads back the same through
/// every role; a target with data is refused; a failure half-way leaves the target empty.
/// </summary>
public sealed class SqliteToPostgresTests : IDisposable
{
    private readonly SqliteBackend _files = new();
    private readonly PostgresBackend _pg = new();

    public void Dispose()
    {
        _files.Dispose();
        _pg.Dispose();
    }

    /// <summary>A SQLite shop with something in every table.</summary>
    private string Shop()
    {
        var path = _files.NewPath();
        using var s = SqliteStore.Open(path);
        s.UpsertItems(Catalog(8));
        s.UpsertUsers(Profiles("u1", "p-only"));
        s.AppendEvents(Events(300, seed: 21));
        s.AppendEvents([new RawEvent("gone", "i1", EventKind.View, 5), new RawEvent("u2", "late-item", EventKind.Purchase, 253_402_300_807, 3f) /* after year 9999: the default partition */]);
        s.DeleteUser("gone");
        s.PublishModel("pop", [1, 2, 3, 4], "{\"ndcg@10\":0.1}");
        s.PublishModel("sasrec", new byte[5000], "{}");
        var keep = ModelChunks.ChunkBytes;
        ModelChunks.ChunkBytes = 2_000;                                          // a payload in three chunks (issue #21)
        try { s.PublishModel("big", Enumerable.Range(0, 5_000).Select(i => (byte)(i * 7)).ToArray(), "{}"); }
        finally { ModelChunks.ChunkBytes = keep; }
        s.RecordServed([Served("r1", "u1", "exp1:A"), Served("r2", "u2", "exp1:B")]);
        s.RecordFeedback([new("r1", "u1", "i1", EventKind.Click, DateTimeOffset.FromUnixTimeSeconds(Day0)), new("r2", "u2", "i2", EventKind.Purchase, DateTimeOffset.FromUnixTimeSeconds(Day0), 9.5)]);
        s.PutState("policy", [7, 8, 9]);
        s.ClaimSetting("pseudonym_key", "v1:abcd");
        s.RecordImport("a.csv", "csv", "ok", 300, 0);
        s.StoreItemVectors("img", new Dictionary<string, float[]> { ["h1"] = [0.6f, 0.8f] });
        s.SetItemImages("img", new Dictionary<string, string> { ["i1"] = "h1", ["i2"] = "h-not-encoded-yet" });
        return path;
    }

    [SkippableFact]
    public void A_whole_shop_moves_and_reads_back_the_same_through_every_role()
    {
        var path = Shop();
        var schema = "m_" + Guid.NewGuid().ToString("N")[..12];
        var result = SqliteToPostgres.Migrate(path, PostgresBackend.Location!, options: _pg.Options(schema));
        using var source = SqliteStore.Open(path);
        using var target = _pg.Open(schema);

        Assert.Equal(source.GetStats().Events, result["events"]);
        Assert.Equal(3, result["models"]);
        Assert.Equal(3, result["model_chunks"]);
        AssertSameDataset(source.LoadDataset(), target.LoadDataset());
        AssertStatsMatch(source.LoadDataset(), target.GetStats());
        Assert.Equal(source.ListModels(), target.ListModels(), (a, b) => a.Version == b.Version && a.Name == b.Name && a.Sha256 == b.Sha256
            && a.MetricsJson == b.MetricsJson && a.SizeBytes == b.SizeBytes && Math.Abs((a.CreatedAt - b.CreatedAt).TotalMilliseconds) < 1);
        Assert.Equal(source.ReadModelPayload(2), target.ReadModelPayload(2));
        Assert.Equal(source.ReadModelPayload(3), target.ReadModelPayload(3));
        Assert.Equal(source.FeedbackCounts(), target.FeedbackCounts());
        Assert.Equal(source.ExperimentLog("exp1:"), target.ExperimentLog("exp1:"));
        Assert.Equal([7, 8, 9], target.GetState("policy"));
        Assert.Equal("v1:abcd", target.GetSetting("pseudonym_key"));
        Assert.Equal(source.UserChangesAfter(0, 10).Changes, target.UserChangesAfter(0, 10).Changes);
        Assert.Equal(source.ListImports().Select(i => (i.Source, i.Accepted)), target.ListImports().Select(i => (i.Source, i.Accepted)));
        foreach (var user in source.LoadDataset().Users.Ids)
            Assert.Equal(source.RecentEvents(user, 500), target.RecentEvents(user, 500));
        Assert.Equal(source.RecentUsers(5), target.RecentUsers(5));
        Assert.Equal(2, result["item images"]);                                   // issue #19: the item → image links come along
        Assert.Equal(source.ReadItemImages("img"), target.ReadItemImages("img"));
        Assert.Equal([0.6f, 0.8f], target.ReadItemVectors("img")["h1"]);

        // Every counter continues where SQLite's stopped.
        Assert.Equal(source.NextEventSequence(), target.NextEventSequence());
        Assert.Equal(source.NextEventSequence(), target.AppendEvents([new RawEvent("u1", "i1", EventKind.View, 10)]).FirstSequence);
        Assert.Equal(4, target.PublishModel("pop", [1], "{}"));
        Assert.True(target.DeleteUser("u4") > 0);
        Assert.True(target.LatestUserChange() > source.LatestUserChange());
    }

    [SkippableFact]
    public void A_target_with_data_is_refused_and_a_failure_half_way_leaves_the_target_as_it_was()
    {
        var path = Shop();
        var schema = "m_" + Guid.NewGuid().ToString("N")[..12];
        // A served list whose items are not JSON: SQLite keeps any text, PostgreSQL's jsonb refuses it after users, items and events were copied.
        StoreFile.Sql(path, "INSERT INTO served(id, user_ext, at, model, path, variant, items, explored) VALUES('bad', 'u1', 1, NULL, 'full', NULL, 'not json', '[]')");
        Assert.ThrowsAny<Npgsql.PostgresException>(() => SqliteToPostgres.Migrate(path, PostgresBackend.Location!, options: _pg.Options(schema)));
        using (var target = _pg.Open(schema))
        {
            Assert.Equal(0, target.GetStats().Events);
            Assert.Empty(target.ReadItems());
            Assert.Empty(target.ListModels());
        }

        StoreFile.Sql(path, "DELETE FROM served WHERE id = 'bad'");
        SqliteToPostgres.Migrate(path, PostgresBackend.Location!, options: _pg.Options(schema));
        var again = Assert.Throws<InvalidOperationException>(() => SqliteToPostgres.Migrate(path, PostgresBackend.Location!, options: _pg.Options(schema)));
        Assert.Contains("is not empty (users has rows)", again.Message);
        using var kept = _pg.Open(schema);
        Assert.Equal(302 - 1, kept.GetStats().Events);
    }
}
