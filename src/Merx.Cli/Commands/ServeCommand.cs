using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using Merx.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Merx.Service;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>`merx serve`: the HTTP service over a store (see the README's API section).</summary>
internal static class ServeCommand
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static Option<string> Urls() => new("--urls") { Description = "where to listen (semicolon-separated URLs)", DefaultValueFactory = _ => DefaultUrls };

    public static Command Create()
    {
        var db = Cli.Db();
        var urls = Urls();
        var key = new Option<string?>("--api-key") { Description = "the API key for writes (default: MERX_API_KEY; on loopback a random key is generated and printed when neither is set)" };
        var trainEvery = new Option<double?>("--train-every") { Description = "retrain and publish every this many minutes (default: only on POST /api/models/train)" };
        var budget = new Option<double?>("--budget-ms") { Description = "default latency budget of a recommendation request in milliseconds" };
        var rate = new Option<int>("--rate-limit") { Description = "requests per second per client", DefaultValueFactory = _ => 10_000 };
        var policy = new Option<string>("--policy") { Description = $"explore/exploit policy: discovery, or a learning bandit policy ({string.Join(", ", Merx.Ranking.Bandits.BanditPolicies.Names)}), optionally name:parameter", DefaultValueFactory = _ => new MerxServerOptions().Policy };
        var keyFile = CliPrivacy.KeyFile();
        var k = new Option<int>("--k-anonymity") { Description = "audiences and users-by-attribute figures describing fewer distinct users than this are withheld", DefaultValueFactory = _ => new MerxServerOptions().KAnonymity };
        var noise = new Option<double?>("--size-noise-epsilon") { Description = "add Laplace noise with this ε (per release) to released audience and segment sizes" };
        var keysFile = new Option<string?>("--api-keys-file") { Description = "a file of scoped API keys, one 'scope key' per line (scopes read, write, admin), read again when it changes; also MERX_API_KEYS=scope:key,…" };
        var durability = new Option<string>("--durability") { Description = $"when an accepted write is acknowledged: {DurabilityNames.Accepted}", DefaultValueFactory = _ => "full" };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "API requests in flight above which new ones get 503 with Retry-After instead of queueing (0: no limit)", DefaultValueFactory = _ => new MerxServerOptions().MaxInFlight };
        var proxies = new Option<string?>("--trusted-proxy") { Description = "reverse proxies (ADDR[,ADDR|CIDR…]) whose X-Forwarded-For names the real client; a forwarded request from any other peer counts as remote" };
        var command = new Command("serve", "Serve recommendations over HTTP from a store: the latest published models, hot-swapped when new ones are published. User ids are pseudonymized with MERX_PSEUDONYM_KEY (required off loopback; on loopback the development key file <db>.pseudonym.key is used when present).")
        {
            db, urls, key, trainEvery, budget, rate, policy, keyFile, k, noise, proxies, durability, maxInFlight, keysFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var options = new MerxServerOptions
            {
                Db = parse.GetValue(db)!,
                TrainEvery = parse.GetValue(trainEvery) is { } m ? TimeSpan.FromMinutes(m) : null,
                DefaultBudgetMs = parse.GetValue(budget),
                RateLimitPerSecond = parse.GetValue(rate),
                Policy = parse.GetValue(policy)!,
                PseudonymKeyFile = parse.GetValue(keyFile),
                KAnonymity = parse.GetValue(k),
                SizeNoiseEpsilon = parse.GetValue(noise),
                TrustedProxies = parse.GetValue(proxies),
                Durability = DurabilityNames.Parse(parse.GetValue(durability)!),
                MaxInFlight = parse.GetValue(maxInFlight),
                ApiKeysFile = parse.GetValue(keysFile),
            };
            if (options.MaxInFlight < 0) throw new ArgumentException("--max-in-flight must be 0 (no limit) or more");
            if (options.KAnonymity < 1) throw new ArgumentException("--k-anonymity must be at least 1");
            if (options.Policy != "discovery") Merx.Ranking.Bandits.BanditPolicies.Create(options.Policy); // a clear error for an unknown policy, before starting
            if (options.RateLimitPerSecond < 1) throw new ArgumentException("--rate-limit must be at least 1");
            Run(options, parse.GetValue(urls)!, parse.GetValue(key));
            return 0;
        }));
        return command;
    }

    /// <summary>The --urls list, checked to be http(s) URLs, and whether every one listens on loopback only.</summary>
    public static (string[] Urls, bool LoopbackOnly) ParseUrls(string urls)
    {
        var list = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var u in list)
            if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--urls: '{u}' is not an http(s) URL");
        return (list, list.All(u => new Uri(u).Host is "localhost" || IPAddress.TryParse(new Uri(u).Host, out var ip) && IPAddress.IsLoopback(ip)));
    }

    /// <summary>Resolves the API key, builds the app and serves until Ctrl+C.</summary>
    public static void Run(MerxServerOptions options, string urls, string? apiKey, Action<string>? ready = null)
    {
        var (list, loopback) = ParseUrls(urls);
        options.LoopbackOnly = loopback;
        options.ApiKey = apiKey ?? Environment.GetEnvironmentVariable("MERX_API_KEY");
        options.ApiKeys ??= Environment.GetEnvironmentVariable("MERX_API_KEYS");
        if (string.IsNullOrEmpty(options.ApiKey) && string.IsNullOrWhiteSpace(options.ApiKeys) && options.ApiKeysFile is null)
        {
            if (!loopback) throw new ArgumentException("set MERX_API_KEY, MERX_API_KEYS, --api-key or --api-keys-file to serve on a non-loopback address");
            options.ApiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            Console.WriteLine($"API key for this run (set MERX_API_KEY to choose one): {options.ApiKey}");
        }
        if (!File.Exists(options.Db)) throw new FileNotFoundException($"no store at {options.Db} (create one with 'merx import' or 'merx demo')");
        var app = MerxApp.Build(options, [], b =>
        {
            b.WebHost.UseUrls(list);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            b.Logging.AddFilter("Merx", LogLevel.Information);
        });
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Console.WriteLine($"Serving {options.Db} on {string.Join(", ", list)} (Ctrl+C stops)");
            ready?.Invoke(list[0]);
        });
        app.Run();
    }
}
