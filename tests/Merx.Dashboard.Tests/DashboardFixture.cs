using Merx.Core.Contracts;
using Merx.Core.Synthetic;
using Merx.Service.Training;
using Merx.Storage;
using Merx.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Merx.Service;

namespace Merx.Dashboard.Tests;

/// <summary>A browser test: runs only where Debian's Chromium is installed (<c>apt-get install chromium</c>; <c>.ci/run</c> does it).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!File.Exists(DashboardFixture.Chromium)) Skip = $"{DashboardFixture.Chromium} not found: install Debian's chromium (apt-get install -y chromium) to run the browser tests";
    }
}

/// <summary>
/// The real Merx app on Kestrel on a free loopback port (the browser needs a socket, not the test
/// host) over a copy of a small generated shop in a temporary SQLite file with trending, item-kNN
/// and a briefly trained Transformer published, plus headless Chromium driven by Playwright.
/// Started on first use, so that nothing is built where the browser tests skip.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const string Key = "dashboard-test-key-0123";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _dir;
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public IMerxStore Store => _app!.Services.GetRequiredService<IMerxStore>();

    /// <summary>The pseudonymization key of the test shop (a test key, never a real one).</summary>
    public const string PseudonymKeyText = "v1:merx-dashboard-tests-pseudonym-key-0123456789";

    /// <summary>What the store keeps for the shop's user id.</summary>
    public string Pseudonym(string userId) => _app!.Services.GetRequiredService<Merx.Service.Privacy.UserIds>().ToStored(userId);

    /// <summary>Screenshots land here (the test output folder), kept after the run as artifacts.</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>The trained shop, built once per test run; each fixture serves its own copy, so one test class's clicks do not change another's figures.</summary>
    private static readonly Lazy<Task<string>> Template = new(() => Task.Run(() =>
    {
        var dir = Directory.CreateTempSubdirectory("merx-dashboard-shop-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        var db = Path.Combine(dir, "shop.db");
        var generator = new ShopGenerator(new ShopGeneratorOptions { Users = 300, Items = 240, Events = 9_000, Seed = 11 });
        using (var store = SqliteStore.Open(db))
        using (var ids = new Merx.Service.Privacy.UserIds(Merx.Privacy.Pseudonymization.PseudonymKey.Parse(PseudonymKeyText)))
        {
            var privacy = new Merx.Service.Privacy.IngestPrivacy(ids);
            Merx.Service.Privacy.PseudonymKeys.Bind(store, ids.Key, "the tests");
            store.UpsertItems(generator.Items());
            store.UpsertUsers(privacy.Users(generator.Users(), new Merx.Privacy.Scrubbing.ScrubReport()));
            store.AppendEvents(privacy.Events(generator.Events(), new Merx.Privacy.Scrubbing.ScrubReport()));
            ModelTrainer.Train(store, ["trending", "itemknn", "sasrec"], new FitOptions { Seed = 1, MaxEpochs = 6 });
        }
        return db;
    }));

    public async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_app is not null) return;
            _dir = Directory.CreateTempSubdirectory("merx-dashboard-tests-").FullName;
            var db = Path.Combine(_dir, "shop.db");
            File.Copy(await Template.Value, db);
            var options = new MerxServerOptions { Db = db, ApiKey = Key, ModelPollInterval = TimeSpan.FromMilliseconds(200), PseudonymKey = PseudonymKeyText };
            _app = Merx.Server.MerxApp.Build(options, [], b =>
            {
                b.WebHost.UseUrls("http://127.0.0.1:0");
                b.Logging.SetMinimumLevel(LogLevel.Warning);
            });
            await _app.StartAsync();
            BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            _playwright = await Playwright.CreateAsync();
            Browser = await LaunchAsync();
            Directory.CreateDirectory(Screenshots);
        }
        finally { _gate.Release(); }
    }

    /// <summary>Launches headless Chromium (<see cref="Browser"/> is one; tests that need other switches launch their own).</summary>
    public Task<IBrowser> LaunchAsync(params string[] extraArgs) => _playwright!.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Chromium, Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", .. extraArgs],
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
        if (_dir is not null) try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
