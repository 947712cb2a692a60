using System.Net.Http.Json;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Synthetic;
using Merx.Privacy.Pseudonymization;
using Merx.Privacy.Scrubbing;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage;
using Merx.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Merx.Service;

namespace Merx.Server.Tests;

/// <summary>
/// A small generated shop in a temporary SQLite file with trending, item-kNN and a Transformer trained for
/// at most 6 epochs (no time budget, so the served model does not depend on the machine's load) published; built once and shared by the tests (each test that writes uses its own
/// users and items, so tests do not see each other's writes).
/// </summary>
public sealed class ShopStore : IDisposable
{
    public ShopStore()
    {
        Dir = Directory.CreateTempSubdirectory("merx-server-tests-").FullName;
        DbPath = Path.Combine(Dir, "shop.db");
        var generator = new ShopGenerator(new ShopGeneratorOptions { Users = 300, Items = 240, Events = 9_000, Seed = 7 });
        using var store = SqliteStore.Open(DbPath);
        using var ids = new UserIds(PseudonymKey.Parse(MerxTestApp.PseudonymKeyText));
        var privacy = new IngestPrivacy(ids);
        PseudonymKeys.Bind(store, ids.Key, "the tests");
        store.UpsertItems(generator.Items());
        store.UpsertUsers(privacy.Users(generator.Users(), new ScrubReport()));
        store.AppendEvents(privacy.Events(generator.Events(), new ScrubReport()));
        ModelTrainer.Train(store, ["trending", "itemknn", "sasrec"], new FitOptions { Seed = 1, MaxEpochs = 6 });
    }

    public string Dir { get; }
    public string DbPath { get; }

    /// <summary>A copy of the shop's store under <paramref name="name"/> in the same folder, for a test that publishes models or otherwise changes what every test serves.</summary>
    public string Copy(string name)
    {
        var path = Path.Combine(Dir, name);
        File.Copy(DbPath, path, overwrite: true);
        if (File.Exists(DbPath + "-wal")) File.Copy(DbPath + "-wal", path + "-wal", overwrite: true);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The real Merx app on the test host over <see cref="ShopStore"/>'s file.</summary>
public sealed class MerxTestApp : IAsyncDisposable
{
    public const string Key = "test-key-0123456789";

    /// <summary>The pseudonymization key of the test stores (a test key, never a real one).</summary>
    public const string PseudonymKeyText = "v1:merx-server-tests-pseudonym-key-0123456789";

    private MerxTestApp(WebApplication app, HttpClient client) { App = app; Client = client; }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public IMerxStore Store => App.Services.GetRequiredService<IMerxStore>();
    public ModelHost Host => App.Services.GetRequiredService<ModelHost>();

    /// <summary>What the store keeps for the shop's user id (its pseudonym).</summary>
    public string Pseudonym(string userId) => App.Services.GetRequiredService<UserIds>().ToStored(userId);

    public static async Task<MerxTestApp> StartAsync(string db, Action<MerxServerOptions>? configure = null)
    {
        var options = new MerxServerOptions { Db = db, ApiKey = Key, ModelPollInterval = TimeSpan.FromMilliseconds(200), PseudonymKey = PseudonymKeyText };
        configure?.Invoke(options);
        var app = MerxApp.Build(options, [], b => b.WebHost.UseTestServer());
        await app.StartAsync();
        var client = app.GetTestClient();
        app.Services.GetRequiredService<ModelHost>().Refresh();
        return new MerxTestApp(app, client);
    }

    public HttpRequestMessage Write(HttpMethod method, string url, object? body = null, string? key = Key)
    {
        var m = new HttpRequestMessage(method, url);
        if (key is not null) m.Headers.Add("X-Api-Key", key);
        if (body is string s) m.Content = new StringContent(s, System.Text.Encoding.UTF8, "application/json");
        else if (body is not null) m.Content = JsonContent.Create(body);
        return m;
    }

    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public Task<(System.Net.HttpStatusCode Status, JsonElement Body)> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>All server test classes share one trained shop (and run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class ShopCollection : ICollectionFixture<ShopStore>
{
    public const string Name = "shop";
}
