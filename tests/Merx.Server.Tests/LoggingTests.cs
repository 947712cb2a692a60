using System.Net;
using System.Text.Json;
using Merx.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Merx.Server.Tests;

/// <summary>
/// Issue 22: a full run of the API logged at every level, every category, with scopes: no line carries a raw
/// user id or the API key, and a request's lines and its problem+json answer carry the same request id.
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class LoggingTests(ShopStore shop)
{
    /// <summary>Every log line as a console would write it with scopes: message, structured values, every scope's text and values.</summary>
    private sealed class Capture : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
        public List<string> Lines { get; } = [];
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;
        public void Dispose() { }

        private sealed class Logger(Capture owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = new System.Text.StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
                if (state is IEnumerable<KeyValuePair<string, object?>> values) foreach (var (k, v) in values) line.Append($" {k}={v}");
                owner._scopes.ForEachScope((scope, sb) =>
                {
                    sb.Append(" => ").Append(scope);
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs) foreach (var (k, v) in pairs) sb.Append($" {k}={v}");
                }, line);
                lock (owner.Lines) owner.Lines.Add(line.ToString());
            }
        }
    }

    [Fact]
    public async Task A_full_run_logs_no_raw_user_id_at_any_level_and_the_request_id_everywhere()
    {
        const string raw = "shopper-rawid-7731";
        var capture = new Capture();
        var options = new MerxServerOptions { Db = shop.Copy("logging.db"), ApiKey = MerxTestApp.Key, PseudonymKey = MerxTestApp.PseudonymKeyText };
        await using var app = MerxApp.Build(options, [], b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.ClearProviders().AddProvider(capture).SetMinimumLevel(LogLevel.Trace);
        });
        await app.StartAsync();
        var client = app.GetTestClient();
        async Task<HttpResponseMessage> Send(HttpMethod method, string url, string? json = null)
        {
            var m = new HttpRequestMessage(method, url);
            m.Headers.Add("X-Api-Key", MerxTestApp.Key);
            if (json is not null) m.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            var response = await client.SendAsync(m);
            Assert.True(response.IsSuccessStatusCode || (int)response.StatusCode is 400 or 404, $"{method} {url}: {response.StatusCode}");
            return response;
        }

        await Send(HttpMethod.Post, "/api/events", $$"""{"events": [{"user": "{{raw}}", "item": "i3", "kind": "view"}, {"user": "{{raw}}", "item": "i4", "kind": "add_to_cart"}]}""");
        await Send(HttpMethod.Put, $"/api/users/{raw}", """{"attributes": {"tier": "gold"}}""");
        var recs = JsonDocument.Parse(await (await Send(HttpMethod.Get, $"/api/users/{raw}/recommendations?n=5&debug=true")).Content.ReadAsStringAsync()).RootElement;
        var rid = recs.GetProperty("recommendation_id").GetString();
        var item = recs.GetProperty("items")[0].GetProperty("item").GetString();
        await Send(HttpMethod.Post, "/api/feedback?key=" + MerxTestApp.Key, $$"""{"recommendation_id": "{{rid}}", "item": "{{item}}", "kind": "click"}""");
        await Send(HttpMethod.Get, $"/api/search?q=boots&user={raw}&n=3");
        await Send(HttpMethod.Get, $"/api/users/{raw}/profile");
        await Send(HttpMethod.Get, $"/api/users/{raw}/events?limit=5");
        await Send(HttpMethod.Get, $"/api/users/{raw}/shops");
        var bad = await Send(HttpMethod.Get, $"/api/users/{raw}/recommendations?n=-1");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        await Send(HttpMethod.Delete, $"/api/users/{raw}");
        await app.StopAsync();

        List<string> lines;
        lock (capture.Lines) lines = capture.Lines.ToList();
        Assert.True(lines.Count > 50, $"only {lines.Count} log lines: the run was not logged at Trace");
        Assert.Contains(lines, l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("/api/search?q=boots&user={redacted}&n=3", StringComparison.Ordinal)); // logged, redacted
        Assert.DoesNotContain(lines, l => l.Contains(raw, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(MerxTestApp.Key, StringComparison.Ordinal));

        // The 400's request id: in its header, its problem+json, and the scope of its log lines.
        var id = bad.Headers.GetValues("X-Request-Id").Single();
        var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(id, problem.GetProperty("request_id").GetString());
        Assert.Contains(lines, l => l.Contains("RequestId=" + id, StringComparison.Ordinal) && l.Contains("Request finished", StringComparison.Ordinal));
    }
}
