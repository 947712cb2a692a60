using System.Diagnostics;
using System.Text.RegularExpressions;
using Merx.Core.Diagnostics;
using Merx.Service.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Server.Tests;

/// <summary>
/// Runs alone (after every parallel collection): OpenTelemetry's listeners subscribe to meters by name,
/// so hosts in one process see each other's measurements; a server process has one host.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection : ICollectionFixture<ShopStore>
{
    public const string Name = "telemetry";
}

/// <summary>Issue 22: OpenTelemetry's metrics at /metrics (Prometheus text) and Merx's spans.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(ShopStore shop)
{
    /// <summary>The value of the one sample of <paramref name="metric"/> whose labels include <paramref name="label"/> (any, when null).</summary>
    private static double Sample(string text, string metric, string? label = null)
    {
        var lines = text.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Where(l => label is null || l.Contains(label, StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, $"{lines.Count} samples of {metric} {label} in:\n{text}");
        return double.Parse(lines[0][(lines[0].LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_are_OpenTelemetrys_in_Prometheus_text_per_host()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("telemetry.db"));
        for (var i = 0; i < 3; i++) Assert.Equal(System.Net.HttpStatusCode.OK, (await app.GetAsync($"/api/users/u{i + 2}/recommendations?n=3")).Status);
        var events = new { events = new[] { new { user = "u2", item = "i1", kind = "view" }, new { user = "u3", item = "i2", kind = "view" } } };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", events))).Status);

        using var response = await app.Client.GetAsync("/metrics");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        // ASP.NET Core's request histogram, by route: exactly the three requests this host served.
        Assert.Equal(3, Sample(text, "http_server_request_duration_seconds_count", "http_route=\"/api/users/{id}/recommendations\""));
        Assert.Equal(2, Sample(text, "merx_events_ingested_total"));
        Assert.Matches("(?m)^merx_model_version\\{[^}]*model=\"sasrec\"[^}]*\\} [1-9]", text);
        Assert.Equal(3, Sample(text, "merx_pipeline_stage_duration_seconds_count", "stage=\"fusion\""));
        Assert.Equal(3, Sample(text, "merx_recommendation_exploration_share_count"));
        Assert.DoesNotContain("merx_http_requests_total", text); // the hand-written exposition is gone
        // The runtime's own meter: what a p99 investigation reads first (GC pauses, thread-pool queue, working set).
        Assert.Matches("(?m)^dotnet_gc_pause_time_seconds_total(\\{[^}]*\\})? ", text);
        Assert.Matches("(?m)^dotnet_thread_pool_queue_length(\\{[^}]*\\})? ", text);
        Assert.True(Sample(text, "dotnet_process_memory_working_set_bytes") > 0);
    }

    [Fact]
    public async Task A_recommendation_makes_a_span_per_pipeline_stage_and_per_store_call()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var spans = new List<Activity>();
        using var root = new ActivitySource("Merx.Tests." + nameof(TelemetryTests));
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MerxDiagnostics.Name || s == root,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        listener.ActivityStopped = a => { lock (spans) spans.Add(a); };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId trace;
        using (var parent = root.StartActivity("test")!)
        {
            trace = parent.TraceId;
            var service = app.App.Services.GetRequiredService<RecommendationService>();
            var user = app.Pseudonym("u5");
            app.App.Services.GetRequiredService<HistoryCache>().Clear(); // the history comes from the store
            var q = new RecommendationQuery(5, Merx.Ranking.Pipeline.PageContext.Home, null, [], null, [], null, false);
            service.Recommend(user, q);
        }
        List<Activity> mine;   // a snapshot: background work (history cache, encoders) may still be stopping spans
        lock (spans) mine = spans.Where(a => a.TraceId == trace).ToList();
        var names = mine.Select(a => a.DisplayName).ToList();
        Assert.Contains("pipeline", names);
        Assert.Contains("pipeline.source:transformer", names);
        Assert.Contains("pipeline.fusion", names);
        Assert.Contains("pipeline.diversity", names);
        Assert.Contains("store.RecentEvents", names);
        var pipeline = mine.Single(a => a.DisplayName == "pipeline");
        Assert.All(mine.Where(a => a.DisplayName.StartsWith("pipeline.", StringComparison.Ordinal)), a => Assert.Equal(pipeline.SpanId, a.ParentSpanId));
    }
}
