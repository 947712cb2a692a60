using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Merx.Cli.Tests;

/// <summary>`merx demo` on a small shop and `merx serve` started for real and answering (issue #16: neither had a test that runs it).</summary>
public sealed class DemoAndServeTests() : CliTestBase("merx-demo-")
{
    private const string ApiKey = "demo-test-key-0123456789";

    [Fact]
    public async Task Demo_builds_a_small_shop_end_to_end_and_serve_answers_from_its_store()
    {
        var (code, output, err) = Merx("demo", "--dir", P("demo"), "--users", "200", "--items", "150", "--events", "5000", "--seed", "4", "--models", "trending,itemknn", "--no-serve");
        Assert.True(code == 0, err);
        foreach (var step in new[] { "[1/5] generating a demo shop", "[2/5] importing into", "[3/5] training and publishing: trending, itemknn", "[4/5] recommendations from the latest model", "demo ready in" })
            Assert.Contains(step, output);
        Assert.Contains("demo mode: user ids are pseudonymized with a key generated in", err);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("user u", StringComparison.Ordinal) && l.EndsWith("; model itemknn", StringComparison.Ordinal)));
        Assert.Equal(15, output.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+[1-5]\. +-?\d+\.\d{3}  i\d+  ")));
        var db = P("demo/merx.db");
        Assert.Equal(0, Merx("stats", "--db", db, "--json", P("stats.json")).Code);
        Assert.Equal(0, Merx("stats", "--data", P("demo/shop"), "--json", P("files.json")).Code);
        var (stats, files) = (Json(P("stats.json")), Json(P("files.json")));
        Assert.Equal(5000, stats.GetProperty("events").GetInt64());
        foreach (var key in new[] { "users", "items", "events" })
            Assert.Equal(files.GetProperty(key).GetInt64(), stats.GetProperty(key).GetInt64());
        using (var store = global::Merx.Storage.Sqlite.SqliteStore.Open(db))
            Assert.Equal(["itemknn", "trending"], store.ListModels().Select(v => v.Name).Order());

        // Re-running reuses the shop, the store and the models.
        var (again, second, _) = Merx("demo", "--dir", P("demo"), "--models", "trending,itemknn", "--no-serve");
        Assert.Equal(0, again);
        Assert.Contains("[1/5] reusing the demo shop", second);
        Assert.Contains("[2/5] reusing the store", second);
        Assert.Contains("[3/5] reusing the published models", second);

        // `merx serve` on that store, as a separate process: it starts, says where, and answers.
        var port = FreePort();
        var merx = typeof(global::Merx.Cli.MerxCli).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { merx, "serve", "--db", db, "--urls", $"http://127.0.0.1:{port}", "--api-key", ApiKey }) start.ArgumentList.Add(a);
        start.Environment.Remove("MERX_API_KEY");
        start.Environment.Remove("MERX_PSEUDONYM_KEY");
        using var server = Process.Start(start)!;
        try
        {
            var ready = new TaskCompletionSource<string>();
            server.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("Serving ", StringComparison.Ordinal) == true) ready.TrySetResult(e.Data); };
            server.BeginOutputReadLine();
            var errors = server.StandardError.ReadToEndAsync();
            var line = await ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Contains($"http://127.0.0.1:{port}", line);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using var live = await http.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            var recs = JsonDocument.Parse(await http.GetStringAsync("/api/users/u1/recommendations?n=5")).RootElement;
            var items = recs.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
            Assert.Equal(5, items.Distinct().Count());
            Assert.All(items, i => Assert.Matches(@"^i\d+$", i));
            // A write without the key is refused; with the key it is stored.
            using var unkeyed = await http.PostAsync("/api/events", new StringContent("""{"user":"u1","item":"i1","kind":"view"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, unkeyed.StatusCode);
            using var keyed = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent("""{"user":"u1","item":"i1","kind":"view"}""", System.Text.Encoding.UTF8, "application/json") };
            keyed.Headers.Add("X-Api-Key", ApiKey);
            using var stored = await http.SendAsync(keyed);
            Assert.True(stored.IsSuccessStatusCode, $"{stored.StatusCode}: {await stored.Content.ReadAsStringAsync()}");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData(null, "MERX_API_KEY and MERX_PSEUDONYM_KEY")]
    [InlineData("MERX_API_KEY", "needs MERX_PSEUDONYM_KEY set")]
    [InlineData("MERX_PSEUDONYM_KEY", "needs MERX_API_KEY set")]
    public void Demo_on_a_non_loopback_address_without_the_keys_refuses_at_once_naming_the_variables(string? set, string message)
    {
        var saved = new[] { "MERX_API_KEY", "MERX_PSEUDONYM_KEY" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in saved.Keys) Environment.SetEnvironmentVariable(v, v == set ? (v == "MERX_API_KEY" ? ApiKey : "v1:demo-test-pseudonym-key-0123456789") : null);
            var (code, output, err) = Merx("demo", "--dir", P("public"), "--users", "50", "--items", "40", "--events", "500", "--urls", "http://0.0.0.0:5997");
            Assert.Equal(1, code);
            Assert.Contains(message, err);
            Assert.Contains("--no-serve", err);
            Assert.DoesNotContain("   at ", err);
            Assert.DoesNotContain("[1/5]", output);
            Assert.False(Directory.Exists(P("public")), "nothing is generated before the refusal");
        }
        finally
        {
            foreach (var (v, value) in saved) Environment.SetEnvironmentVariable(v, value);
        }
    }
}
