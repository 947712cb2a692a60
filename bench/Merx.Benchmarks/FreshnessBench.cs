using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Merx.Benchmarks;

/// <summary>
/// Freshness of a running <c>merx serve</c>: for each of N users, ask for recommendations, post one
/// purchase event of an item from a category the user has not seen, and ask again at once. Reports
/// the share of users whose list changed and the time from sending the event to holding the changed
/// list (event round trip + next recommendation round trip), median and p99.
/// <c>freshness --url http://127.0.0.1:5091 --key KEY [--users 200] [--user-ids 20000] [--seed 42]</c>
/// </summary>
public sealed class FreshnessBench : IBenchCommand
{
    public string Name => "freshness";

    public int Run(string[] args)
    {
        string? url = null, key = null; int users = 200, userIds = 20_000, seed = 42;
        for (var i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--url": url = args[i + 1]; break;
                case "--key": key = args[i + 1]; break;
                case "--users": users = int.Parse(args[i + 1]); break;
                case "--user-ids": userIds = int.Parse(args[i + 1]); break;
                case "--seed": seed = int.Parse(args[i + 1]); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        if (url is null || key is null) { Console.Error.WriteLine("usage: freshness --url URL --key KEY [--users N] [--user-ids N] [--seed S]"); return 2; }
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        var rng = new Random(seed);
        var times = new List<double>();
        var changed = 0;
        for (var k = 0; k < users; k++)
        {
            var user = "u" + rng.Next(userIds);
            var before = Get(http, $"/api/users/{user}/recommendations?n=10");
            var items = before.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
            var explored = before.GetProperty("items").EnumerateArray().FirstOrDefault(i => i.GetProperty("explored").GetBoolean());
            var target = explored.ValueKind == JsonValueKind.Object ? explored.GetProperty("item").GetString()! : items[^1];
            var clock = Stopwatch.StartNew();
            using (var post = http.PostAsJsonAsync("/api/events", new { user, item = target, kind = "purchase" }).Result) Check(post, "POST /api/events");
            var after = Get(http, $"/api/users/{user}/recommendations?n=10");
            var ms = clock.Elapsed.TotalMilliseconds;
            var afterItems = after.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
            if (!afterItems.SequenceEqual(items)) { changed++; times.Add(ms); }
        }
        times.Sort();
        double P(double q) => times.Count == 0 ? double.NaN : times[Math.Min(times.Count - 1, (int)(q * times.Count))];
        Console.WriteLine($"freshness: {changed}/{users} users' next list changed after one event; event sent → changed list in hand: median {P(0.5):F2} ms, p99 {P(0.99):F2} ms");
        return 0;
    }

    /// <summary>A failed answer stops the run with what the server said (status, Retry-After, problem body).</summary>
    private static void Check(HttpResponseMessage response, string request)
    {
        if (response.IsSuccessStatusCode) return;
        var retry = response.Headers.RetryAfter is { } r ? $", Retry-After {r}" : "";
        throw new HttpRequestException($"{request}: {(int)response.StatusCode}{retry} at {DateTime.UtcNow:HH:mm:ss.fff} UTC: {response.Content.ReadAsStringAsync().Result}");
    }

    private static JsonElement Get(HttpClient http, string path)
    {
        using var response = http.GetAsync(path).Result;
        Check(response, "GET " + path);
        return JsonDocument.Parse(response.Content.ReadAsStringAsync().Result).RootElement.Clone();
    }
}
