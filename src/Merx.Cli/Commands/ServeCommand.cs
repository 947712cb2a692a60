using System.CommandLine;
using Merx.Storage;
using System.Net;
using System.Security.Cryptography;
using Merx.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Merx.Service;

namespace Merx.Cli.Commands;

/// <summary>`merx serve`: the HTTP service over a store (see the README's API section).</summary>
internal static class ServeCommand
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static Option<string> Urls() => new("--urls") { Description = "where to listen (semicolon-separated URLs)", DefaultValueFactory = _ => DefaultUrls };

    public static Command Create()
    {
        var db = Cli.Db(required: false);
        db.Description = "the SQLite store file (must exist); setting Merx:Db, default merx.db";
        var urls = Urls();
        var key = new Option<string?>("--api-key") { Description = "the API key for writes (default: MERX_API_KEY, then the setting Merx:ApiKey; on loopback a random key is generated and printed when none is set)" };
        var trainEvery = new Option<double?>("--train-every") { Description = "retrain and publish every this many minutes (default: only on POST /api/models/train)" };
        var budget = new Option<double?>("--budget-ms") { Description = "default latency budget of a recommendation request in milliseconds" };
        var rate = new Option<int?>("--rate-limit") { Description = $"requests per second per client (default {new MerxServerOptions().RateLimitPerSecond:N0})" };
        var policy = new Option<string?>("--policy") { Description = $"explore/exploit policy: discovery, or a learning bandit policy ({string.Join(", ", Merx.Ranking.Bandits.BanditPolicies.Names)}), optionally name:parameter (default {new MerxServerOptions().Policy})" };
        var keyFile = CliPrivacy.KeyFile();
        var k = new Option<int?>("--k-anonymity") { Description = $"audiences and users-by-attribute figures describing fewer distinct users than this are withheld (default {new MerxServerOptions().KAnonymity})" };
        var noise = new Option<double?>("--size-noise-epsilon") { Description = "add Laplace noise with this ε (per release) to released audience and segment sizes" };
        var keysFile = new Option<string?>("--api-keys-file") { Description = "a file of scoped API keys, one 'scope key' per line (scopes read, write, admin), read again when it changes; also MERX_API_KEYS=scope:key,…" };
        var durability = new Option<string?>("--durability") { Description = $"when an accepted write is acknowledged: {DurabilityNames.Accepted}" };
        var maxInFlight = new Option<int?>("--max-in-flight") { Description = $"API requests in flight above which new ones get 503 with Retry-After instead of queueing (0: no limit; default {new MerxServerOptions().MaxInFlight})" };
        var proxies = new Option<string?>("--trusted-proxy") { Description = "reverse proxies (ADDR[,ADDR|CIDR…]) whose X-Forwarded-For names the real client; a forwarded request from any other peer counts as remote" };
        var set = new Option<string[]>("--setting") { Description = "any configuration value, KEY=VALUE (repeatable): Merx:MaxN=100, Logging:LogLevel:Default=Information; see the README's settings table", AllowMultipleArgumentsPerToken = false };
        var logFormat = new Option<string?>("--log-format") { Description = "console log format: simple (default) or json (one JSON object a line, with the request id)" };
        logFormat.AcceptOnlyFromAmong("simple", "json");
        var print = new Option<bool>("--print-config") { Description = "print the effective settings (appsettings.json, MERX__ variables, flags) as JSON with secrets masked, and exit" };
        var command = new Command("serve", "Serve recommendations over HTTP from a store: the latest published models, hot-swapped when new ones are published. Settings come from appsettings.json, MERX__ environment variables and these flags (README: Configuration). User ids are pseudonymized with MERX_PSEUDONYM_KEY (required off loopback; on loopback the development key file <db>.pseudonym.key is used when present).")
        {
            db, urls, key, trainEvery, budget, rate, policy, keyFile, k, noise, proxies, durability, maxInFlight, keysFile, set, logFormat, print,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            // Flags become configuration keys, so they override appsettings.json and MERX__ variables.
            var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            void Flag(string name, object? value) { if (value is not null) flags[MerxServerOptions.Section + ":" + name] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture); }
            Flag(nameof(MerxServerOptions.Db), parse.GetValue(db));
            Flag(nameof(MerxServerOptions.TrainEvery), parse.GetValue(trainEvery) is { } m ? TimeSpan.FromMinutes(m).ToString("c") : null);
            Flag(nameof(MerxServerOptions.DefaultBudgetMs), parse.GetValue(budget));
            Flag(nameof(MerxServerOptions.RateLimitPerSecond), parse.GetValue(rate));
            Flag(nameof(MerxServerOptions.Policy), parse.GetValue(policy));
            Flag(nameof(MerxServerOptions.PseudonymKeyFile), parse.GetValue(keyFile));
            Flag(nameof(MerxServerOptions.KAnonymity), parse.GetValue(k));
            Flag(nameof(MerxServerOptions.SizeNoiseEpsilon), parse.GetValue(noise));
            Flag(nameof(MerxServerOptions.TrustedProxies), parse.GetValue(proxies));
            Flag(nameof(MerxServerOptions.Durability), parse.GetValue(durability) is { } d ? DurabilityNames.Parse(d).ToString() : null);
            Flag(nameof(MerxServerOptions.MaxInFlight), parse.GetValue(maxInFlight));
            Flag(nameof(MerxServerOptions.ApiKeysFile), parse.GetValue(keysFile));
            foreach (var pair in parse.GetValue(set) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"--setting '{pair}': expected KEY=VALUE (Merx:MaxN=100)");
                flags[pair[..eq].Trim()] = pair[(eq + 1)..];
            }
            if (parse.GetValue(logFormat) is { } format)
            {
                flags["Logging:Console:FormatterName"] = format;
                if (format == "json") flags["Logging:Console:FormatterOptions:IncludeScopes"] = "true";
            }
            var configuration = MerxConfiguration.Load(Directory.GetCurrentDirectory(), flags);
            var options = MerxConfiguration.Bind(configuration);
            var apiKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("MERX_API_KEY") ?? options.ApiKey;
            if (options.Problems() is { Count: > 0 } problems) throw new ArgumentException("invalid settings: " + string.Join("; ", problems));
            if (parse.GetValue(print))
            {
                options.ApiKey = apiKey;
                options.LoopbackOnly = ParseUrls(parse.GetValue(urls)!).LoopbackOnly;
                Console.WriteLine(MerxConfiguration.Print(options));
                return 0;
            }
            Run(options, parse.GetValue(urls)!, apiKey, configuration: configuration);
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
    public static void Run(MerxServerOptions options, string urls, string? apiKey, Action<string>? ready = null, Microsoft.Extensions.Configuration.IConfiguration? configuration = null)
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
        if (!MerxStores.Exists(options.Db!)) throw new FileNotFoundException($"no store at {options.Db} (create one with 'merx import' or 'merx demo')");
        var app = MerxApp.Build(options, [], b =>
        {
            b.WebHost.UseUrls(list);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            b.Logging.AddFilter("Merx", LogLevel.Information);
            if (configuration is not null)
            {
                b.Configuration.AddConfiguration(configuration);
                b.Logging.AddConfiguration(configuration.GetSection("Logging"));
                // The slim host's console keeps its simple formatter whatever FormatterName says: select JSON in code.
                if (string.Equals(configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase))
                    b.Logging.AddJsonConsole(o => o.IncludeScopes = true);
            }
        });
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Console.WriteLine($"Serving {options.Db} on {string.Join(", ", list)} (Ctrl+C stops)");
            ready?.Invoke(list[0]);
        });
        app.Run();
    }
}
