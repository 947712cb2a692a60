using System.CommandLine;
using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Import;
using Merx.Core.Synthetic;
using Merx.Models;
using Merx.Privacy.Pseudonymization;
using Merx.Privacy.Scrubbing;
using Merx.Service.Privacy;
using Merx.Service.Training;
using Merx.Service;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx demo`: the whole path on the embedded default — generate a demo shop, import it into a
/// SQLite file, train and publish the models, and show recommendations. Re-running reuses the
/// shop and the store that exist.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "working folder for the shop files and the store", DefaultValueFactory = _ => "demo" };
        var users = new Option<int>("--users") { Description = "users in the generated shop", DefaultValueFactory = _ => 5_000 };
        var items = new Option<int>("--items") { Description = "items in the generated shop", DefaultValueFactory = _ => 3_000 };
        var events = new Option<long>("--events") { Description = "events in the generated shop", DefaultValueFactory = _ => 250_000 };
        var models = new Option<string>("--models") { Description = "models to train", DefaultValueFactory = _ => TrainCommand.DefaultModels };
        var budget = new Option<double>("--time-budget") { Description = "minutes of training per model at most", DefaultValueFactory = _ => 2 };
        var seed = Cli.Seed();
        var urls = ServeCommand.Urls();
        var noServe = new Option<bool>("--no-serve") { Description = "stop after showing recommendations instead of serving over HTTP" };
        var noBrowser = new Option<bool>("--no-browser") { Description = "do not try to open a browser (the demo never opens one; accepted for scripts)" };
        var command = new Command("demo", "Generate a demo shop, import it into a SQLite store, train and publish models, show recommendations, and serve them over HTTP. Re-running reuses what exists.")
        {
            dir, users, items, events, models, budget, seed, urls, noServe, noBrowser,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var listen = parse.GetValue(urls)!;
            if (!parse.GetValue(noServe)) RequireKeysToServe(listen);
            var root = Path.GetFullPath(parse.GetValue(dir)!);
            var shop = Path.Combine(root, "shop");
            var dbPath = Path.Combine(root, "merx.db");
            if (!File.Exists(Path.Combine(shop, "shop.json")))
            {
                var options = new ShopGeneratorOptions { Users = parse.GetValue(users), Items = parse.GetValue(items), Events = parse.GetValue(events), Seed = parse.GetValue(seed) };
                Console.WriteLine($"[1/5] generating a demo shop in {shop}: {options.Users:N0} users, {options.Items:N0} items, {options.Events:N0} events");
                ShopWriter.Write(new ShopGenerator(options), shop, Cli.Progress);
            }
            else Console.WriteLine($"[1/5] reusing the demo shop in {shop}");

            // Demo mode: without MERX_PSEUDONYM_KEY the store's user ids are pseudonymized with a key generated beside it.
            var (opened, userIds) = CliPrivacy.Open(dbPath, KeyUse.Demo, null);
            using var store = opened;
            using var ids = userIds;
            if (store.GetStats().Events == 0)
            {
                Console.WriteLine($"[2/5] importing into {dbPath}");
                var source = DataSources.Open(shop);
                var report = new ImportReport();
                var privacy = new IngestPrivacy(ids);
                var scrub = new ScrubReport();
                store.UpsertItems(source.ReadItems(report));
                store.UpsertUsers(privacy.Users(source.ReadUsers(report), scrub));
                var batch = store.AppendEvents(privacy.Events(source.ReadEvents(report), scrub));
                store.RecordImport(shop, source.Format, report.ToString(), batch.Events, report.SkippedLines);
                Console.WriteLine("      " + report.ToString().Replace("\n", "\n      "));
                Console.WriteLine($"      user ids pseudonymized with key {ids.Key.Fingerprint}; personal data {scrub}");
            }
            else Console.WriteLine($"[2/5] reusing the store {dbPath} ({store.GetStats().Events:N0} events)");

            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var missing = names.Where(n => store.LatestModel(n) is null).ToArray();
            if (missing.Length > 0)
            {
                Console.WriteLine($"[3/5] training and publishing: {string.Join(", ", missing)}");
                ModelTrainer.Train(store, missing, new FitOptions { Seed = parse.GetValue(seed), Progress = Cli.Progress, TimeBudget = TimeSpan.FromMinutes(parse.GetValue(budget)) }, new TrainCommand.StdoutAndProgress());
            }
            else Console.WriteLine("[3/5] reusing the published models");
            foreach (var v in store.ListModels().GroupBy(v => v.Name).Select(g => g.Last()))
                Console.WriteLine($"      {v.Name,-10} version {v.Version,3}  {v.MetricsJson}");

            Console.WriteLine("[4/5] recommendations from the latest model for three users:");
            var package = RecommendCommand.LoadLatest(store, names.LastOrDefault(n => store.LatestModel(n) is not null));
            foreach (var user in new[] { "u0", "u1", "u2" })
                RecommendCommand.Print(store, package, user, 5, ids.ToStored(user));
            var relative = Path.GetRelativePath(Environment.CurrentDirectory, dbPath);
            if (parse.GetValue(noServe))
            {
                Console.WriteLine($"demo ready in {clock.Elapsed.TotalSeconds:F0} s. Try: dotnet run --project src/Merx.Cli -c Release -- serve --db {relative}");
                return 0;
            }
            store.Dispose();
            var serverOptions = new MerxServerOptions { Db = dbPath };
            Console.WriteLine($"[5/5] serving {relative} over HTTP");
            ServeCommand.Run(serverOptions, listen, null, url =>
            {
                Console.WriteLine($"demo ready in {clock.Elapsed.TotalSeconds:F0} s.");
                Console.WriteLine($"API: {url}/api (OpenAPI document: {url}/openapi/v1.json; metrics: {url}/metrics)");
                Console.WriteLine($"Try: curl '{url}/api/users/u42/recommendations?n=5'");
                Console.WriteLine($"Dashboard: {url.TrimEnd('/')}/");
                Console.WriteLine($"Storefront (the shop as a customer sees it, reporting through {url.TrimEnd('/')}/merx.js): {url.TrimEnd('/')}/shop?user=u42");
            });
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Off loopback the server needs an API key and a real pseudonymization key (the demo's generated key
    /// file is for loopback only): refuses before generating anything, naming the variables to set (issue #16).
    /// </summary>
    private static void RequireKeysToServe(string urls)
    {
        if (ServeCommand.ParseUrls(urls).LoopbackOnly) return;
        var missing = new[] { "MERX_API_KEY", PseudonymKey.EnvironmentVariable }.Where(v => string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(v))).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"--urls {urls} listens beyond loopback, where the server needs {string.Join(" and ", missing)} set " +
                $"(the demo's generated keys serve loopback only); set {(missing.Length > 1 ? "them" : "it")}, or use the default --urls {ServeCommand.DefaultUrls} or --no-serve");
    }
}
