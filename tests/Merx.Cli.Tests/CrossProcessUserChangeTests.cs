using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Domain;
using Merx.Core.Synthetic;
using Merx.Privacy.Pseudonymization;
using Merx.Privacy.Scrubbing;
using Merx.Server;
using Merx.Service;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Cli.Tests;

/// <summary>
/// Issue 16, "a forgotten user is still served": a server is running on a store while another process
/// (the built CLI, `dotnet merx.dll`, a real second process) forgets or renames a user in the same
/// file. The server's next answer must follow the store, not the user's history cached in memory.
/// The recommendations compared are deterministic (explore=false): a user without history gets the
/// cold-start list, a user with history a list shaped by it.
/// </summary>
public sealed class CrossProcessUserChangeTests() : CliTestBase("merx-cross-process-")
{
    private const string ApiKey = "cross-process-api-key-0123456789";
    private const string V1 = "v1:cross-process-key-one-0123456789abcdefghijk";
    private const string V2 = "v2:cross-process-key-two-0123456789abcdefghijk";
    private const string Alice = "alice.cross.process";

    [Fact]
    public async Task A_user_forgotten_by_merx_forget_in_another_process_is_no_longer_served_their_history()
    {
        var db = Shop("forget.db");
        await using var server = await Server.StartAsync(db, V1);
        var cold = await server.Items("someone-without-history");
        var before = await server.Items(Alice);
        Assert.NotEqual(cold, before);                                  // the cached history shapes Alice's list

        File.WriteAllText(P("v1.key"), V1);
        var (code, output) = RunMerx(null, "forget", "--db", db, "--user", Alice, "--pseudonym-key-file", P("v1.key"));
        Assert.True(code == 0, output);
        Assert.Contains("6 events removed", output);

        Assert.Equal(cold, await server.Items(Alice));                  // nothing of the deleted history is left in memory
        Assert.Equal(cold, await server.Items(Pseudonym(V1, Alice)));
    }

    [Fact]
    public async Task A_user_renamed_by_a_key_rotation_in_another_process_is_served_their_history()
    {
        var db = Shop("rename.db");
        // The server runs a lazy rotation (v2, with the old v1); Alice is stored under her v1 pseudonym.
        await using var server = await Server.StartAsync(db, V2, oldKeys: V1);
        var current = Pseudonym(V2, Alice);
        var cold = await server.Items("someone-without-history");
        Assert.Equal(cold, await server.Items(current));                // addressed by her v2 pseudonym (as the dashboard does): nothing stored under it yet

        File.WriteAllText(P("v2.key"), V2);
        File.WriteAllText(P("ids.txt"), Alice + "\n");
        var (code, output) = RunMerx(V1, "rotate-key", "--db", db, "--ids", P("ids.txt"), "--pseudonym-key-file", P("v2.key"));
        Assert.True(code == 0, output);
        Assert.Contains("moved 1 of 1 listed users", output);

        var renamed = await server.Items(current);                      // the store now holds her history under the v2 pseudonym
        Assert.NotEqual(cold, renamed);
        Assert.Equal(renamed, await server.Items(Alice));
    }

    /// <summary>A generated shop under key v1 with trending and item-kNN published, and Alice with six views.</summary>
    private string Shop(string name)
    {
        var db = P(name);
        var generator = new ShopGenerator(new ShopGeneratorOptions { Users = 150, Items = 90, Events = 4_000, Seed = 11 });
        using var store = SqliteStore.Open(db);
        using var ids = new UserIds(PseudonymKey.Parse(V1));
        var privacy = new IngestPrivacy(ids);
        PseudonymKeys.Bind(store, ids.Key, "the tests");
        var items = generator.Items().ToArray();
        store.UpsertItems(items);
        store.UpsertUsers(privacy.Users(generator.Users(), new ScrubReport()));
        store.AppendEvents(privacy.Events(generator.Events(), new ScrubReport()));
        store.AppendEvents(privacy.Events(items.Take(6).Select((item, k) => new RawEvent(Alice, item.Id, EventKind.View, 1_000_000_000 + k)), new ScrubReport()));
        ModelTrainer.Train(store, ["trending", "itemknn"], new FitOptions { Seed = 1 });
        return db;
    }

    /// <summary>Runs the built CLI as a separate process (merx.dll is copied beside the tests); returns its exit code and output.</summary>
    private static (int Code, string Output) RunMerx(string? oldKeys, params string[] args) =>
        RunMerxProcess(new Dictionary<string, string?> { [PseudonymKey.EnvironmentVariable] = null, [PseudonymKey.OldKeysEnvironmentVariable] = oldKeys }, TimeSpan.FromMinutes(2), args);

    /// <summary>The real Merx app on the test host over the store file.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _client;

        private Server(WebApplication app) { _app = app; _client = app.GetTestClient(); }

        public static async Task<Server> StartAsync(string db, string key, string? oldKeys = null)
        {
            var options = new MerxServerOptions { Db = db, ApiKey = ApiKey, PseudonymKey = key, PseudonymOldKeys = oldKeys, ModelPollInterval = TimeSpan.FromMinutes(10) };
            var app = MerxApp.Build(options, [], b => b.WebHost.UseTestServer());
            await app.StartAsync();
            app.Services.GetRequiredService<ModelHost>().Refresh();
            return new Server(app);
        }

        /// <summary>The user's recommended items, without exploration (deterministic for a given history).</summary>
        public async Task<string[]> Items(string user)
        {
            var body = await _client.GetFromJsonAsync<JsonElement>($"/api/users/{Uri.EscapeDataString(user)}/recommendations?n=10&explore=false");
            return body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
