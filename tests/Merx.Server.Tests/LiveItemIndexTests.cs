using System.Diagnostics;
using System.Net;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Encoders;
using Merx.Ranking.Retrieval;
using Merx.Ranking.Scoring;
using Merx.Service;
using Merx.Service.Catalog;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage.Sqlite;
using Xunit.Abstractions;

namespace Merx.Server.Tests;

/// <summary>
/// Issue #21: catalog changes reach the serving model's HNSW index in place, without retraining: an
/// item upserted over HTTP is retrievable through the index once its text vector is stored; a deleted
/// item is not. Measured through the real app (the times are printed, not asserted).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class LiveItemIndexTests(ShopStore shop, ITestOutputHelper output)
{
    [Fact]
    public async Task Upserted_items_enter_the_index_and_deleted_items_leave_it_without_retraining()
    {
        var db = shop.Copy("live-index.db");
        using (var store = SqliteStore.Open(db))
        using (var text = new ItemTextVectors(store))
            ModelTrainer.Train(store, ["sasrec"], new FitOptions { Seed = 3, MaxEpochs = 2 }, text: text); // the Transformer with its text projection
        await using var app = await MerxTestApp.StartAsync(db, o => { o.IndexMinItems = 1; o.ItemIndex = "hnsw"; });
        var first = app.Host.Current!;
        var live = first.Primary!.Live!;
        Assert.IsType<HnswIndex>(live.Index);
        var model = first.Primary.Model;
        // Every trained item but those out of stock (the generated shop has some): the first sync took them out.
        var inStock = Enumerable.Range(0, first.Catalog.Count).Count(c => first.Scorer!.Knows(c) && first.Catalog.Item(c)?.InStock != false);
        Assert.True(inStock < first.Catalog.Count);
        Assert.Equal(inStock, live.Index.Count);
        var version = first.Primary.Version;
        Assert.Single(Directory.GetFiles(db + ".indexes", $"v{version.Version}-*.hnsw.usearch"));   // persisted with the model version

        // The text encoder loads on the first upsert: that one is not timed.
        await RetrievableAfterUpsert(app, "live-warm", "Stainless steel garden trowel with a wooden handle");
        var elapsed = await RetrievableAfterUpsert(app, "live-new", "Waterproof hiking boots for women, leather, size 39");
        output.WriteLine($"upsert → retrievable through the index: {elapsed.TotalMilliseconds:F0} ms");
        var after = app.Host.Current!;
        Assert.Same(model, after.Primary!.Model);                                   // the same model version: nothing retrained
        Assert.Same(live, after.Primary.Live);
        Assert.Equal(2, live.Added);
        Assert.Equal(model.ItemCount - inStock, live.Removed);                     // only the out-of-stock ones, at the first sync

        // Deleting the new item and a trained one takes both out of the index.
        var j = Enumerable.Range(0, model.ItemCount).First(j => first.Catalog.Item(first.Scorer!.ToCatalog(j))?.InStock == true);
        var trained = first.Catalog.Id(first.Scorer!.ToCatalog(j));
        var clock = Stopwatch.StartNew();
        foreach (var id in new[] { "live-new", trained })
            Assert.Equal(HttpStatusCode.NoContent, (await app.SendAsync(app.Write(HttpMethod.Delete, $"/api/items/{id}"))).Status);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (((HnswIndex)live.Index).Contains(j) && DateTime.UtcNow < deadline) await Task.Delay(5);
        output.WriteLine($"delete → out of the index: {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.False(((HnswIndex)live.Index).Contains(j));
        // The graph is updated before the rebuilt snapshot is published: read the snapshot once it shows the deletes.
        ServingSnapshot snapshot;
        ScoredItem[] everything;
        do
        {
            snapshot = app.Host.Current!;
            everything = snapshot.Scorer!.Top(new UserVector(snapshot.Scorer, ItemVector(snapshot, "live-warm")!), snapshot.Catalog.Count + 5, _ => true);
            if (!everything.Any(s => s.Item == snapshot.Catalog.IndexOf(trained) || s.Item == snapshot.Catalog.IndexOf("live-new"))) break;
            await Task.Delay(5);
        } while (DateTime.UtcNow < deadline);
        Assert.DoesNotContain(snapshot.Catalog.IndexOf(trained), everything.Select(s => s.Item));
        Assert.DoesNotContain(snapshot.Catalog.IndexOf("live-new"), everything.Select(s => s.Item));
        Assert.Contains(snapshot.Catalog.IndexOf("live-warm"), everything.Select(s => s.Item));
        Assert.Equal(inStock - 1 + 1, everything.Length);                         // every item the index holds: the trained ones in stock but the deleted one, and live-warm

        // /metrics counts the graph's searches by how they were answered: by the head alone (proven or on its record) or through the graph.
        using var response = await app.Client.GetAsync("/metrics");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("merx_index_searches_total{", StringComparison.Ordinal)).ToArray();
        Assert.Contains(lines, l => l.Contains("answered=\"head\"") && l.Contains("model=\"sasrec\""));
        Assert.Contains(lines, l => l.Contains("answered=\"graph\"") && l.Contains("model=\"sasrec\""));
        Assert.Contains(lines, l => l.Contains("answered=\"head_on_record\"") && l.Contains("model=\"sasrec\""));
        var counted = lines.Sum(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(counted, 1, ((HnswIndex)live.Index).Searches);
    }

    [Fact]
    public async Task ModelPrecision_int8_serves_the_Transformers_int8_copy_with_answers_close_to_float()
    {
        var db = shop.Copy("int8-serving.db");
        await using var f32 = await MerxTestApp.StartAsync(db);
        await using var int8 = await MerxTestApp.StartAsync(shop.Copy("int8-serving-2.db"), o => o.ModelPrecision = "int8");
        var (fm, qm) = ((Merx.Models.Sequential.SasRec)f32.Host.Current!.Primary!.Model, (Merx.Models.Sequential.SasRec)int8.Host.Current!.Primary!.Model);
        Assert.False(fm.Int8);
        Assert.True(qm.Int8);
        Assert.True(qm.ItemVectors.IsInt8);   // its only item table: no float copy beside it
        Assert.Equal(fm.WeightBytes(int8: true), qm.WeightBytes(int8: true));
        // The same history gives nearly the same user vector (the int8 layers, not the float ones, made it).
        var history = Enumerable.Range(0, 5).ToArray();
        var (a, b) = (new float[fm.Dimension], new float[qm.Dimension]);
        fm.EncodeUser(-1, history, a);
        qm.EncodeUser(-1, history, b);
        var cos = a.Zip(b).Sum(p => (double)p.First * p.Second) / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        Assert.InRange(cos, 0.99, 1 - 1e-9);
        var (status, body) = await int8.GetAsync("/api/users/u1/recommendations?n=5");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, body.GetProperty("items").GetArrayLength());
        Assert.Contains(new MerxServerOptions { Db = db, ModelPrecision = "int4" }.Problems(), p => p == "ModelPrecision: must be float32 or int8");
    }

    // POSTs an item and waits until a search through the serving index (with the item's own vector) returns it; returns the time taken.
    private static async Task<TimeSpan> RetrievableAfterUpsert(MerxTestApp app, string id, string title)
    {
        var clock = Stopwatch.StartNew();
        var (status, _) = await app.SendAsync(app.Write(HttpMethod.Post, "/api/items", new { items = new[] { new { id, title } } }));
        Assert.Equal(HttpStatusCode.OK, status);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = app.Host.Current!;
            var c = snapshot.Catalog.IndexOf(id);
            if (c >= 0 && ItemVector(snapshot, id) is { } v)
            {
                Assert.False(snapshot.Scorer!.Knows(c));                            // the model was never trained on it
                var found = snapshot.Scorer.Top(new UserVector(snapshot.Scorer, v), snapshot.Catalog.Count, _ => true);
                if (found.Any(s => s.Item == c)) return clock.Elapsed;
            }
            await Task.Delay(5);
        }
        throw new TimeoutException($"{id} was not retrievable through the index within 120 s");
    }

    // The vector the model gives the item's stored text vector (null until the background encoder stored it).
    private static float[]? ItemVector(ServingSnapshot snapshot, string id)
    {
        if (snapshot.TextVectors is not { } stored) return null;
        var c = snapshot.Catalog.IndexOf(id);
        if (c >= stored.ItemCount || !stored.Has(c)) return null;
        var v = new float[snapshot.Scorer!.Dimension];
        Assert.True(((IColdItemEncoder)snapshot.Primary!.Model).ItemVectorFromText(stored.Of(c), v));
        return v;
    }
}
