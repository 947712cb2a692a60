using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Merx.Cli.Tests;

/// <summary>
/// The commands over a PostgreSQL store (issue 18), through the interface results are checked with:
/// `merx import --db postgres://…` then `merx stats --db postgres://… --json` gives the same users, items and
/// events as the SQLite path; `merx train` publishes there; `merx migrate` moves a SQLite shop. Each test uses
/// a database of its own, created by the first command (as a missing SQLite file is) and dropped afterwards.
/// Skipped with a message where <c>MERX_TEST_POSTGRES</c> names no server (<c>.ci/run</c> starts one).
/// </summary>
public sealed class PostgresCommandTests : CliTestBase
{
    private readonly List<string> _databases = [];
    private readonly string _server;

    public PostgresCommandTests() : base("merx-pg-cli-")
    {
        var url = Environment.GetEnvironmentVariable("MERX_TEST_POSTGRES");
        Skip.If(string.IsNullOrEmpty(url), "MERX_TEST_POSTGRES is not set: set it to postgres://USER@HOST:PORT/DATABASE (.ci/run starts a server) to run the PostgreSQL command tests");
        _server = url![..url.LastIndexOf('/')];
        File.WriteAllText(P("key"), "v1:postgres-command-tests-key-0123456789abcdef\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(P("key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Merx("generate", "--users", "200", "--items", "120", "--events", "6000", "--seed", "7", "--out", P("shop"));
    }

    private string NewDatabase()
    {
        var name = "merx_cli_" + Guid.NewGuid().ToString("N")[..12];
        _databases.Add(name);
        return $"{_server}/{name}";
    }

    [SkippableFact]
    public void Import_then_stats_gives_the_same_figures_as_sqlite_and_train_publishes_there()
    {
        var pg = NewDatabase();
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", P("s.db"), "--pseudonym-key-file", P("key")).Code);
        var (code, output, err) = Merx("import", "--data", P("shop"), "--db", pg, "--pseudonym-key-file", P("key"));
        Assert.True(code == 0, err);
        Assert.Contains("6,000 events", output);
        Assert.Equal(0, Merx("stats", "--db", P("s.db"), "--json", P("s.json")).Code);
        Assert.Equal(0, Merx("stats", "--db", pg, "--json", P("p.json")).Code);
        var (s, p) = (Json(P("s.json")), Json(P("p.json")));
        foreach (var key in new[] { "users", "items", "events", "catalog_items" })
            Assert.Equal(s.GetProperty(key).GetInt64(), p.GetProperty(key).GetInt64());
        Assert.Equal(6000, p.GetProperty("events").GetInt64());
        Assert.Equal(s.GetProperty("events_by_kind").ToString(), p.GetProperty("events_by_kind").ToString());

        Assert.Equal(0, Merx("train", "--db", pg, "--models", "pop", "--pseudonym-key-file", P("key")).Code);
        var (rc, recommended, _) = Merx("recommend", "--db", pg, "--user", "u1", "--n", "3", "--pseudonym-key-file", P("key"));
        Assert.Equal(0, rc);
        Assert.StartsWith("user u1: ", recommended);
        Assert.Contains("model pop", recommended);
    }

    [SkippableFact]
    public void Migrate_moves_a_sqlite_shop_whose_stats_then_match()
    {
        var pg = NewDatabase();
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", P("m.db"), "--pseudonym-key-file", P("key")).Code);
        var (code, output, err) = Merx("migrate", "--from", P("m.db"), "--to", pg);
        Assert.True(code == 0, err);
        Assert.Contains("events 6,000", output);
        Assert.Equal(0, Merx("stats", "--db", P("m.db"), "--json", P("a.json")).Code);
        Assert.Equal(0, Merx("stats", "--db", pg, "--json", P("b.json")).Code);
        Assert.Equal(File.ReadAllText(P("a.json")), File.ReadAllText(P("b.json")));
        var again = Merx("migrate", "--from", P("m.db"), "--to", pg);
        Assert.Equal(1, again.Code);
        Assert.Contains("is not empty", again.Err);
    }

    /// <summary>
    /// The README's set-up, two replicas here: `merx serve` twice over one database behind Debian's nginx (round robin,
    /// a refused connection retried on the other replica, as in bench/scaleout/nginx-merx.conf). Through the balancer,
    /// an event is in the next list whichever replica answers it (the viewed item leaves every later list), and after
    /// one replica is killed with SIGKILL every request is still answered. Skipped where nginx is not installed.
    /// </summary>
    [SkippableFact]
    public async Task Two_replicas_behind_nginx_read_their_writes_and_survive_a_kill()
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);
        Skip.If(nginx is null, "nginx is not installed (Debian: apt-get install nginx; .ci/run installs it): the load-balancer test is skipped");
        var pg = NewDatabase();
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", pg, "--pseudonym-key-file", P("key")).Code);
        Assert.Equal(0, Merx("train", "--db", pg, "--models", "trending,itemknn", "--pseudonym-key-file", P("key")).Code);
        const string apiKey = "load-balancer-test-key-0123456789";
        var environment = new Dictionary<string, string?> { ["MERX_API_KEY"] = apiKey, ["MERX_PSEUDONYM_KEY"] = File.ReadAllText(P("key")).Trim() };
        var (front, ports) = (FreePort(), new[] { FreePort(), FreePort() });
        var logs = ports.Select(_ => new StringBuilder()).ToArray();
        var replicas = ports.Select((port, i) => StartMerx(environment, logs[i], "serve", "--db", pg, "--urls", $"http://127.0.0.1:{port}", "--rate-limit", "1000000")).ToArray();
        var prefix = Directory.CreateDirectory(P("nginx")).FullName;
        File.WriteAllText(Path.Combine(prefix, "nginx.conf"), $$"""
            worker_processes 1;
            pid nginx.pid;
            error_log error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                upstream merx {
                    server 127.0.0.1:{{ports[0]}} max_fails=1 fail_timeout=10s;
                    server 127.0.0.1:{{ports[1]}} max_fails=1 fail_timeout=10s;
                    keepalive 8;
                }
                server {
                    listen 127.0.0.1:{{front}};
                    location / {
                        proxy_pass http://merx;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_next_upstream error timeout;
                        proxy_connect_timeout 1s;
                    }
                }
            }
            """);
        string Nginx(params string[] args)
        {
            var start = new ProcessStartInfo(nginx!) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-p", prefix, "-c", Path.Combine(prefix, "nginx.conf") }.Concat(args)) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var err = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"nginx {string.Join(' ', args)}: {err}");
            return err;
        }
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front}"), Timeout = TimeSpan.FromSeconds(30) };
            for (var i = 0; i < ports.Length; i++)
            {
                using var direct = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[i]}") };
                var deadline = DateTime.UtcNow.AddSeconds(120);
                while (true)
                {
                    try { if ((await direct.GetAsync("/health/ready")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
                    Assert.True(DateTime.UtcNow < deadline && !replicas[i].HasExited, $"replica {i + 1} did not get ready:\n{logs[i]}");
                    await Task.Delay(250);
                }
            }
            Nginx();
            async Task<string[]> List()
            {
                using var response = await http.GetAsync("/api/users/u1/recommendations?n=10");
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {body}");
                return JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("item").GetString()!).ToArray();
            }
            var viewed = (await List())[0];
            using (var write = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent($$"""{"user":"u1","item":"{{viewed}}","kind":"view"}""", Encoding.UTF8, "application/json") })
            {
                write.Headers.Add("X-Api-Key", apiKey);
                using var stored = await http.SendAsync(write);
                Assert.True(stored.IsSuccessStatusCode, $"{stored.StatusCode}: {await stored.Content.ReadAsStringAsync()}");
            }
            // Round robin: these alternate between the two replicas, and each must have read the write the other accepted.
            for (var k = 0; k < 6; k++) Assert.DoesNotContain(viewed, await List());

            replicas[0].Kill(entireProcessTree: true);
            await replicas[0].WaitForExitAsync();
            for (var k = 0; k < 20; k++) Assert.NotEmpty(await List());
        }
        finally
        {
            if (File.Exists(Path.Combine(prefix, "nginx.pid"))) Nginx("-s", "stop");
            foreach (var r in replicas) { if (!r.HasExited) r.Kill(entireProcessTree: true); r.WaitForExit(); r.Dispose(); }
        }
    }

    protected override void Cleanup()
    {
        if (_databases.Count == 0) return;
        NpgsqlConnection.ClearAllPools();
        using var c = new NpgsqlConnection(Storage.Postgres.PostgresStore.ConnectionString((Storage.PostgresLocation)Storage.StoreLocation.Parse(_server + "/postgres"), new()).ConnectionString);
        c.Open();
        foreach (var db in _databases)
        {
            using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)", c);
            cmd.ExecuteNonQuery();
        }
    }
}
