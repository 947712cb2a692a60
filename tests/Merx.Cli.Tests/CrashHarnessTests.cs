using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Synthetic;
using Merx.Privacy.Pseudonymization;
using Merx.Privacy.Scrubbing;
using Merx.Server;
using Merx.Service;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage.Sqlite;
using Merx.Storage.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Merx.Cli.Tests;

/// <summary>
/// The crash harness (issue #20): a real `merx` process (the built CLI) is killed with SIGKILL at a random
/// moment during HTTP ingestion, a model publish (`merx train`), `merx forget` (delete + rebuild), a key
/// rotation (`merx rotate-key`, rename + rebuild) and `merx import`; then the store must pass
/// <c>PRAGMA integrity_check</c>, keep every event whose batch was acknowledged, serve a model (the previous
/// version or the complete new one), and hold an operation either wholly done or wholly undone, a rerun
/// completing it. <c>MERX_CRASH_ROUNDS</c> sets the rounds per operation (2 here;
/// bench/scripts/crash-harness.sh runs 20), <c>MERX_CRASH_SEED</c> the kill times, <c>MERX_CRASH_REPORT</c> a
/// file that gets one markdown table row per operation, <c>MERX_CRASH_PORT</c> the server's port.
/// </summary>
public sealed class CrashHarnessTests(ITestOutputHelper output) : CliTestBase("merx-crash-")
{
    private const string ApiKey = "crash-harness-api-key-0123456789";
    private const string V1 = "v1:crash-harness-key-one-0123456789abcdefghijk";
    private const string V2 = "v2:crash-harness-key-two-0123456789abcdefghijk";
    private static readonly int Rounds = int.TryParse(System.Environment.GetEnvironmentVariable("MERX_CRASH_ROUNDS"), out var r) ? r : 2;
    private readonly Random _rng = new(int.TryParse(System.Environment.GetEnvironmentVariable("MERX_CRASH_SEED"), out var s) ? s : 20);
    private string? _base;

    [Fact]
    public async Task Killed_during_http_ingestion_loses_no_acknowledged_event()
    {
        long acknowledged = 0, lost = 0;
        var killedMidway = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var db = Copy($"ingest-{round}.db");
            var port = Port();
            using var server = Start("serve", "--db", db, "--urls", $"http://127.0.0.1:{port}", "--rate-limit", "1000000");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            await WaitLive(http, server);
            var acks = new System.Collections.Concurrent.ConcurrentBag<(long First, long Last, long Count)>();
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
            {
                for (var b = 0; !stop.IsCancellationRequested; b++)
                {
                    var events = Enumerable.Range(0, 50).Select(i => new { user = $"crash-{round}-{c}-{(b * 50 + i) % 97}", item = $"i{(b * 7 + i) % 60}", kind = "view" }).ToArray();
                    try
                    {
                        using var response = await http.PostAsJsonAsync("/api/events", new { events }, stop.Token);
                        if (response.StatusCode != HttpStatusCode.OK) continue;
                        var body = await response.Content.ReadFromJsonAsync<JsonElement>(stop.Token);
                        acks.Add((body.GetProperty("first_sequence").GetInt64(), body.GetProperty("last_sequence").GetInt64(), body.GetProperty("accepted").GetInt64()));
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { return; }
                }
            })).ToArray();
            // The kill comes at a random moment after the first acknowledgement (a loaded machine may take seconds to answer the first batch).
            for (var wait = 0; acks.IsEmpty && wait < 600; wait++) await Task.Delay(100);
            await Task.Delay(_rng.Next(1500));
            killedMidway += Kill(server) ? 1 : 0;
            await stop.CancelAsync();
            await Task.WhenAll(clients);
            Assert.Equal("ok", StoreFile.Sql(db, "PRAGMA integrity_check"));
            foreach (var (first, last, count) in acks)
            {
                acknowledged += count;
                lost += count - Convert.ToInt64(StoreFile.Sql(db, $"SELECT count(*) FROM events WHERE seq BETWEEN {first} AND {last}"));
            }
            Assert.NotEmpty(acks);
        }
        Report("HTTP ingestion (merx serve)", killedMidway, $"{acknowledged:N0} events acknowledged, {lost} lost");
        Assert.Equal(0, lost);
    }

    [Fact]
    public async Task Killed_during_a_model_publish_keeps_serving_a_whole_model()
    {
        var killedMidway = 0;
        var outcomes = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var db = Copy($"publish-{round}.db");
            var before = Convert.ToInt64(StoreFile.Sql(db, "SELECT max(version) FROM models"));
            using (var train = Start("train", "--db", db, "--models", "trending,itemknn,pop"))
            {
                await Task.Delay(500 + _rng.Next(4000));
                killedMidway += Kill(train) ? 1 : 0;
            }
            Assert.Equal("ok", StoreFile.Sql(db, "PRAGMA integrity_check"));
            var after = Convert.ToInt64(StoreFile.Sql(db, "SELECT max(version) FROM models"));
            Assert.True(after >= before);
            outcomes.Add($"{after - before} new");
            // The server starts on what is there and serves the newest whole version of each model.
            await using var app = await TestApp.StartAsync(db);
            var body = await app.Client.GetFromJsonAsync<JsonElement>("/api/users/someone/recommendations?n=5&explore=false");
            Assert.Equal(5, body.GetProperty("items").GetArrayLength());
            var host = app.App.Services.GetRequiredService<ModelHost>();
            Assert.Equal(Convert.ToInt64(StoreFile.Sql(db, "SELECT max(version) FROM models WHERE name = 'itemknn'")), host.Current!.Neighbors!.Version.Version);
        }
        Report("model publish (merx train)", killedMidway, "versions published before the kill: " + string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key} ×{g.Count()}")));
    }

    [Fact]
    public async Task Killed_during_forget_leaves_the_user_wholly_there_or_wholly_gone()
    {
        var killedMidway = 0;
        int gone = 0, there = 0;
        const string user = "u17";
        for (var round = 0; round < Rounds; round++)
        {
            var db = Copy($"forget-{round}.db");
            var stored = Pseudonym(V1, user);
            var events = UserEvents(db, stored);
            Assert.True(events > 0);
            File.WriteAllText(P("v1.key"), V1);
            using (var forget = Start("forget", "--db", db, "--user", user, "--pseudonym-key-file", P("v1.key")))
            {
                await Task.Delay(100 + _rng.Next(1500));
                killedMidway += Kill(forget) ? 1 : 0;
            }
            Assert.Equal("ok", StoreFile.Sql(db, "PRAGMA integrity_check"));
            var left = UserEvents(db, stored);
            Assert.Contains(left, new[] { 0L, events });
            if (left == 0) gone++; else there++;
            // The next run completes it: the user is gone, and no byte of the pseudonym is left in the file.
            var (code, text) = RunMerx("forget", "--db", db, "--user", user, "--pseudonym-key-file", P("v1.key"));
            Assert.True(code == 0, text);
            Assert.Equal(0, UserEvents(db, stored));
            Assert.False(StoreHolds(db, stored));
        }
        Report("forget (merx forget, delete + rebuild)", killedMidway, $"after the kill: user gone {gone}, user whole {there}; the rerun completed every one");
    }

    [Fact]
    public async Task Killed_during_a_key_rotation_keeps_every_event_and_a_rerun_completes_it()
    {
        var killedMidway = 0;
        var partial = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var db = Copy($"rotate-{round}.db");
            var users = Enumerable.Range(0, 300).Select(i => $"u{i}").ToArray();
            File.WriteAllLines(P("ids.txt"), users);
            File.WriteAllText(P("v1.key"), V1);
            File.WriteAllText(P("v2.key"), V2);
            var total = Convert.ToInt64(StoreFile.Sql(db, "SELECT count(*) FROM events"));
            var perUser = users.ToDictionary(u => u, u => UserEvents(db, Pseudonym(V1, u)));
            using (var rotate = Start("rotate-key", "--db", db, "--ids", P("ids.txt"), "--new-key-file", P("v2.key"), "--pseudonym-key-file", P("v1.key")))
            {
                await Task.Delay(100 + _rng.Next(1500));
                killedMidway += Kill(rotate) ? 1 : 0;
            }
            Assert.Equal("ok", StoreFile.Sql(db, "PRAGMA integrity_check"));
            Assert.Equal(total, Convert.ToInt64(StoreFile.Sql(db, "SELECT count(*) FROM events")));
            var moved = 0;
            foreach (var u in users)
            {
                var (old, now) = (UserEvents(db, Pseudonym(V1, u)), UserEvents(db, Pseudonym(V2, u)));
                Assert.True(old == 0 || now == 0, $"{u} is under both keys");
                Assert.Equal(perUser[u], old + now);
                if (now > 0) moved++;
            }
            if (moved is > 0 and < 300) partial++;
            // The next run finishes the rotation (the killed run may or may not have recorded the new key).
            var (code, text) = RunMerx("rotate-key", "--db", db, "--ids", P("ids.txt"), "--new-key-file", P("v2.key"), "--pseudonym-key-file", P("v1.key"));
            if (code != 0) (code, text) = RunMerx("rotate-key", "--db", db, "--ids", P("ids.txt"), "--pseudonym-key-file", P("v2.key"), "--old-keys", V1);
            Assert.True(code == 0, text);
            foreach (var u in users) Assert.Equal(perUser[u], UserEvents(db, Pseudonym(V2, u)));
        }
        Report("key rotation (merx rotate-key, rename + rebuild)", killedMidway, $"rounds left partly renamed by the kill: {partial}; every event kept; the rerun completed every one");
    }

    [Fact]
    public async Task Killed_during_an_import_writes_all_events_or_none()
    {
        var killedMidway = 0;
        int none = 0, all = 0;
        var data = P("import-data");
        if (!Directory.Exists(data))
        {
            var (code, text) = RunMerx("generate", "--users", "2000", "--items", "500", "--events", "60000", "--seed", "5", "--out", data);
            Assert.True(code == 0, text);
        }
        for (var round = 0; round < Rounds; round++)
        {
            var db = Copy($"import-{round}.db");
            var before = Convert.ToInt64(StoreFile.Sql(db, "SELECT count(*) FROM events"));
            using (var import = Start("import", "--data", data, "--db", db))
            {
                await Task.Delay(200 + _rng.Next(3000));
                killedMidway += Kill(import) ? 1 : 0;
            }
            Assert.Equal("ok", StoreFile.Sql(db, "PRAGMA integrity_check"));
            var after = Convert.ToInt64(StoreFile.Sql(db, "SELECT count(*) FROM events"));
            Assert.Contains(after, new[] { before, before + 60_000 });
            if (after == before) none++; else all++;
        }
        Report("import (merx import)", killedMidway, $"after the kill: no event written {none}, all 60,000 written {all}");
    }

    private long UserEvents(string db, string stored) =>
        Convert.ToInt64(StoreFile.Sql(db, $"SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '{stored}'"));

    /// <summary>A fresh copy of the base store: a generated shop under key v1 with trending, item-kNN and pop published.</summary>
    private string Copy(string name)
    {
        if (_base is null)
        {
            _base = P("base.db");
            var generator = new ShopGenerator(new ShopGeneratorOptions { Users = 400, Items = 120, Events = 20_000, Seed = 13 });
            using var store = SqliteStore.Open(_base);
            using var ids = new UserIds(PseudonymKey.Parse(V1));
            var privacy = new IngestPrivacy(ids);
            PseudonymKeys.Bind(store, ids.Key, "the crash harness");
            store.UpsertItems(generator.Items());
            store.UpsertUsers(privacy.Users(generator.Users(), new ScrubReport()));
            store.AppendEvents(privacy.Events(generator.Events(), new ScrubReport()));
            ModelTrainer.Train(store, ["trending", "itemknn", "pop"], new FitOptions { Seed = 1 });
        }
        var path = P(name);
        File.Copy(_base, path, overwrite: true);
        return path;
    }

    /// <summary>The harness's environment for `merx ARGS`: its API key, and its pseudonymization key unless a key file is given.</summary>
    private static Dictionary<string, string?> HarnessEnvironment(string[] args, string? oldKeys = null) => new()
    {
        ["MERX_API_KEY"] = ApiKey,
        ["MERX_API_KEYS"] = null,
        [PseudonymKey.EnvironmentVariable] = args.Contains("--pseudonym-key-file") ? null : V1,
        [PseudonymKey.OldKeysEnvironmentVariable] = oldKeys,
    };

    /// <summary>Starts `merx ARGS` (the built CLI) as a child process to be killed.</summary>
    private static Process Start(params string[] args) => StartMerx(HarnessEnvironment(args), new System.Text.StringBuilder(), args);

    /// <summary>Runs `merx ARGS` to the end; <c>--old-keys K</c> among the arguments goes to MERX_PSEUDONYM_OLD_KEYS instead.</summary>
    private static (int Code, string Output) RunMerx(params string[] args)
    {
        var at = Array.IndexOf(args, "--old-keys");
        var oldKeys = at >= 0 ? args[at + 1] : null;
        if (oldKeys is not null) args = args.Where((_, j) => j != at && j != at + 1).ToArray();
        return RunMerxProcess(HarnessEnvironment(args, oldKeys), TimeSpan.FromMinutes(3), args);
    }

    /// <summary>SIGKILL (Process.Kill on Linux); true when the process was still running, false when it had finished first.</summary>
    private static bool Kill(Process process)
    {
        if (process.HasExited) return false;
        try { process.Kill(); } catch (InvalidOperationException) { return false; }
        process.WaitForExit();
        return true;
    }

    private static async Task WaitLive(HttpClient http, Process server)
    {
        for (var i = 0; i < 600; i++)
        {
            Assert.False(server.HasExited, "merx serve exited before it was live");
            try { if ((await http.GetAsync("/health/live")).IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("merx serve was not live within a minute");
    }

    private static int Port()
    {
        if (int.TryParse(System.Environment.GetEnvironmentVariable("MERX_CRASH_PORT"), out var port)) return port;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private void Report(string operation, int killedMidway, string outcome)
    {
        var row = $"| {operation} | {Rounds} | {killedMidway} | ok in {Rounds} of {Rounds} | {outcome} |";
        output.WriteLine(row);
        if (System.Environment.GetEnvironmentVariable("MERX_CRASH_REPORT") is { Length: > 0 } file) File.AppendAllText(file, row + "\n");
    }

    /// <summary>The real Merx app on the test host over a store file (the harness's server after a crash).</summary>
    private sealed class TestApp : IAsyncDisposable
    {
        private TestApp(WebApplication app) { App = app; Client = app.GetTestClient(); }

        public WebApplication App { get; }
        public HttpClient Client { get; }

        public static async Task<TestApp> StartAsync(string db)
        {
            var options = new MerxServerOptions { Db = db, ApiKey = ApiKey, PseudonymKey = V1, ModelPollInterval = TimeSpan.FromMinutes(10) };
            var app = MerxApp.Build(options, [], b => b.WebHost.UseTestServer());
            await app.StartAsync();
            app.Services.GetRequiredService<ModelHost>().Refresh();
            return new TestApp(app);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
