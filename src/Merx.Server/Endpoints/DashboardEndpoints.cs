using Merx.Service.Dashboard;
using Merx.Server.Dashboard;
using Merx.Service.Experiments;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Merx.Service;
using Merx.Service.Security;

namespace Merx.Server.Endpoints;

/// <summary>
/// The dashboard (issue #8): the page at <c>/</c> with its script and style sheet, and the JSON it
/// reads besides the existing API: store counts, the event timeline, exploration over time, a
/// user's recent events (looked up by the shop's id or by pseudonym), suggested users (pseudonyms),
/// and the experiments and privacy status.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>How long the store-wide aggregates are reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var data = new DashboardData(app.Services.GetRequiredService<IMerxStore>(), CacheFor);
        app.MapGet("/", Page).ExcludeFromDescription();
        app.MapGet("/dashboard/app.js", () => TypedResults.Bytes(DashboardAssets.Script, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/dashboard/charts.js", () => TypedResults.Bytes(DashboardAssets.Charts, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/dashboard/key.js", () => TypedResults.Bytes(DashboardAssets.KeyScript, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/dashboard/app.css", () => TypedResults.Bytes(DashboardAssets.Styles, "text/css; charset=utf-8")).ExcludeFromDescription();

        var api = app.MapGroup("/api");
        api.MapGet("/stats", () => TypedResults.Ok(data.Stats())).WithName("Stats").WithSummary("Users, items, events and events by kind (cached for 5 s).");
        api.MapGet("/stats/timeline", Results<Ok<TimelineDto>, ProblemHttpResult> (int? days) => days is < 1 or > 3650
                ? Problems.Bad("days must be between 1 and 3650")
                : TypedResults.Ok(data.Timeline(days)))
            .WithName("EventTimeline").WithSummary("Events per kind over the whole history or its last ?days= days up to the newest event, per UTC day, week, month or year (at most 92 bars; cached for 5 s).");
        api.MapGet("/stats/exploration", (int? hours, ModelHost host, ServedLog served) => Exploration(hours, host, served, data)).WithName("ExplorationStats")
            .WithSummary("Share of served slots explored and click-through of explored vs exploited slots over the last ?hours=24, in time buckets (cached for 1 s).");
        api.MapGet("/users/{id}/events", UserEvents).WithName("UserEvents").WithSummary("A user's latest events, newest first: ?limit=20 (at most 200).");
        api.MapGet("/dashboard/users", Results<Ok<SuggestedUsers>, ProblemHttpResult> (int? n, IMerxStore store) => n is < 1 or > 100
                ? Problems.Bad("n must be between 1 and 100")
                : TypedResults.Ok(new SuggestedUsers(store.RecentUsers(n ?? 8))))
            .WithName("SuggestedUsers").WithSummary("The most recently active users (?n=8), for picking one in the live view.");
        api.MapGet("/dashboard/status", Status).WithName("DashboardStatus").WithSummary("Experiments and privacy status.");
        return app;
    }

    private static ContentHttpResult Page(HttpContext http, IOptions<MerxServerOptions> options, ApiKeyRing keys)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.ContentSecurityPolicy = Csp;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.XFrameOptions = "DENY";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        return DashboardAuth.Check(http, keys) switch
        {
            DashboardAuth.Verdict.Local => TypedResults.Content(DashboardAssets.Page(options.Value.ApiKey), "text/html; charset=utf-8"),
            DashboardAuth.Verdict.KeyGiven => TypedResults.Content(DashboardAssets.Page(DashboardAuth.GivenKey(http)), "text/html; charset=utf-8"),
            var v => TypedResults.Content(DashboardAssets.KeyPage(v == DashboardAuth.Verdict.Wrong), "text/html; charset=utf-8", statusCode: StatusCodes.Status401Unauthorized),
        };
    }

    private static Results<Ok<ExplorationDto>, ProblemHttpResult> Exploration(int? hours, ModelHost host, ServedLog served, DashboardData data)
    {
        if (hours is < 1 or > 24 * 90) return Problems.Bad("hours must be between 1 and 2160");
        served.Flush();
        return TypedResults.Ok(data.Exploration(hours ?? 24, host.Current?.Pipeline.Exploration?.Name ?? "none"));
    }

    private static Results<Ok<UserEventsResponse>, ProblemHttpResult> UserEvents(string id, int? limit, IMerxStore store, ModelHost host, UserIds ids)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        if (limit is < 1 or > RecommendationService.HistoryLimit) return Problems.Bad($"limit must be between 1 and {RecommendationService.HistoryLimit}");
        return TypedResults.Ok(DashboardReports.UserEvents(id, ids.ToStored(id), limit ?? 20, store, host.Current?.Catalog));
    }

    private static Ok<DashboardStatus> Status(IMerxStore store, ServedLog served, ExperimentService experiments, HttpContext http, ApiKeyRing keys, UserIds ids, SegmentRelease release, ModelHost host)
    {
        served.Flush();
        var local = DashboardAuth.Check(http, keys) == DashboardAuth.Verdict.Local;
        return TypedResults.Ok(DashboardReports.Status(store, experiments, ids, release, host.Current,
            local ? "this browser is on the server's machine: the key was given to the page" : "given by this browser (kept for this tab only)"));
    }
}
