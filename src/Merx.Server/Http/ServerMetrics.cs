using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Merx.Service.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Http;

/// <summary>
/// Prometheus text-format metrics (exposition format 0.0.4): requests and latency histograms per
/// endpoint (route pattern) and status, events ingested, feedback received, requests in flight,
/// the loaded model versions. Lock-free counters; the histogram buckets are in seconds.
/// </summary>
public sealed class ServerMetrics(ServingLoad load)
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private readonly ConcurrentDictionary<(string Route, string Method, int Status), long[]> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private long _events, _feedback;

    public long InFlight => load.InFlight;
    public long EventsIngested => Interlocked.Read(ref _events);
    public void AddEvents(long n) => Interlocked.Add(ref _events, n);
    public void AddFeedback(long n) => Interlocked.Add(ref _feedback, n);

    /// <summary>Middleware body: counts the request under its route pattern and times it.</summary>
    public async Task Track(HttpContext context, RequestDelegate next)
    {
        load.Enter();
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try { await next(context); }
        finally
        {
            load.Leave();
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            Interlocked.Increment(ref _requests.GetOrAdd((route, context.Request.Method, context.Response.StatusCode), _ => new long[1])[0]);
            _latency.GetOrAdd(route, _ => new Histogram()).Observe(seconds);
        }
    }

    public string Render(IEnumerable<(string Name, long Version)> models, (long Hits, long Misses, long Drops) histories = default)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append("# HELP merx_http_requests_total HTTP requests by route, method and status.\n# TYPE merx_http_requests_total counter\n");
        foreach (var ((route, method, status), n) in _requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Method).ThenBy(p => p.Key.Status))
            sb.Append(inv, $"merx_http_requests_total{{route=\"{Escape(route)}\",method=\"{method}\",status=\"{status}\"}} {Interlocked.Read(ref n[0])}\n");
        sb.Append("# HELP merx_http_request_duration_seconds Request latency by route.\n# TYPE merx_http_request_duration_seconds histogram\n");
        foreach (var (route, h) in _latency.OrderBy(p => p.Key, StringComparer.Ordinal)) h.Render(sb, Escape(route));
        sb.Append(inv, $"# HELP merx_events_ingested_total Events accepted.\n# TYPE merx_events_ingested_total counter\nmerx_events_ingested_total {EventsIngested}\n");
        sb.Append(inv, $"# HELP merx_feedback_total Feedback entries accepted.\n# TYPE merx_feedback_total counter\nmerx_feedback_total {Interlocked.Read(ref _feedback)}\n");
        sb.Append(inv, $"# HELP merx_recommendations_degraded_total Recommendations served on the fast or fallback path.\n# TYPE merx_recommendations_degraded_total counter\nmerx_recommendations_degraded_total {load.Degraded}\n");
        sb.Append(inv, $"# HELP merx_http_requests_in_flight Requests being processed.\n# TYPE merx_http_requests_in_flight gauge\nmerx_http_requests_in_flight {InFlight}\n");
        sb.Append(inv, $"# HELP merx_history_cache_total Users' histories answered from memory (hit), read from the store (miss), and whole-cache drops after writes by another process.\n# TYPE merx_history_cache_total counter\n");
        sb.Append(inv, $"merx_history_cache_total{{result=\"hit\"}} {histories.Hits}\nmerx_history_cache_total{{result=\"miss\"}} {histories.Misses}\nmerx_history_cache_total{{result=\"drop\"}} {histories.Drops}\n");
        sb.Append("# HELP merx_model_version Loaded model version by model name.\n# TYPE merx_model_version gauge\n");
        foreach (var (name, version) in models) sb.Append(inv, $"merx_model_version{{model=\"{Escape(name)}\"}} {version}\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length + 1];
        private long _sumMicros;

        public void Observe(double seconds)
        {
            var b = 0;
            while (b < Buckets.Length && seconds > Buckets[b]) b++;
            Interlocked.Increment(ref _counts[b]);
            Interlocked.Add(ref _sumMicros, (long)(seconds * 1e6));
        }

        public void Render(StringBuilder sb, string route)
        {
            var inv = CultureInfo.InvariantCulture;
            long cumulative = 0;
            for (var b = 0; b < Buckets.Length; b++)
            {
                cumulative += Interlocked.Read(ref _counts[b]);
                sb.Append(inv, $"merx_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{Buckets[b].ToString(inv)}\"}} {cumulative}\n");
            }
            cumulative += Interlocked.Read(ref _counts[^1]);
            sb.Append(inv, $"merx_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}\n");
            sb.Append(inv, $"merx_http_request_duration_seconds_sum{{route=\"{route}\"}} {(Interlocked.Read(ref _sumMicros) / 1e6).ToString("0.######", inv)}\n");
            sb.Append(inv, $"merx_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}\n");
        }
    }
}
