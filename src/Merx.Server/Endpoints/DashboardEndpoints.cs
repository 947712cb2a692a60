using Merx.Core.Domain;
using Merx.Server.Dashboard;
using Merx.Service.Experiments;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
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
        var stored = ids.ToStored(id);
        if (limit is < 1 or > RecommendationService.HistoryLimit) return Problems.Bad($"limit must be between 1 and {RecommendationService.HistoryLimit}");
        var catalog = host.Current?.Catalog;
        var events = store.RecentEvents(stored, limit ?? 20).Select(ev =>
        {
            string? title = null, category = null;
            if (ev.Item is not null)
            {
                var i = catalog?.IndexOf(ev.Item) ?? -1;
                var item = i >= 0 ? catalog!.Item(i) : store.GetItem(ev.Item);
                title = item?.Title;
                category = i >= 0 && catalog!.Category(i) >= 0 ? catalog.CategoryName(catalog.Category(i)) : item?.CategoryPath is { Count: > 0 } path ? path[^1] : null;
            }
            return new UserEventDto(ev.Item, ev.Kind.ToWireName(), ev.Timestamp, DateTimeOffset.FromUnixTimeSeconds(ev.Timestamp), ev.Value, title, category, ev.Query, ev.Session);
        }).ToArray();
        return TypedResults.Ok(new UserEventsResponse(id, stored, events));
    }

    private static Ok<DashboardStatus> Status(IMerxStore store, ServedLog served, ExperimentService experiments, HttpContext http, IOptions<MerxServerOptions> options, ApiKeyRing keys, UserIds ids, SegmentRelease release, ModelHost host)
    {
        served.Flush();
        var snapshot = host.Current;
        var models = new[] { ("primary", snapshot?.Primary), ("neighbors", snapshot?.Neighbors), ("trending", snapshot?.TrendingModel) }
            .Where(r => r.Item2 is not null).DistinctBy(r => r.Item2!.Version.Version)
            .Select(r => (Role: r.Item1, r.Item2!.Version, Privacy: ModelPrivacy.FromMetrics(r.Item2.Version.MetricsJson))).ToArray();
        var allPrivate = models.Length > 0 && models.All(m => m.Privacy.Private);
        var feedback = store.FeedbackCounts();
        var local = DashboardAuth.Check(http, keys) == DashboardAuth.Verdict.Local;
        return TypedResults.Ok(new DashboardStatus(
            new ExperimentsStatus(
                experiments.Definitions.Count,
                experiments.Running?.Id,
                UntaggedFeedback: feedback.Where(c => c.Key.Variant.Length == 0).Sum(c => c.Value),
                TaggedFeedback: feedback.Where(c => c.Key.Variant.Length > 0).Sum(c => c.Value)),
            new PrivacyStatus(
                Pseudonymization: true,
                PseudonymizationNote: $"user ids are stored as HMAC-SHA256 pseudonyms (key {ids.Key.Fingerprint}); personal data in attributes, queries and sessions is scrubbed at ingestion",
                KeyFingerprint: ids.Key.Fingerprint,
                KeyRotation: ids.Rekeying is { } rekeying
                    ? new KeyRotationStatus(ids.Ring.Count - 1, rekeying.Counters.Renamed, "a lazy key rotation is in progress: returning users are renamed to the current key ('merx rotate-key --status' counts those left)")
                    : null,
                KAnonymity: release.K,
                SegmentsNote: release.Describe(),
                DifferentialPrivacy: allPrivate,
                // The served models learn from the same users: their ε add up (basic composition) when every one is private.
                EpsilonSpent: allPrivate ? models.Sum(m => m.Privacy.Epsilon) : null,
                EpsilonNote: PrivacyNote(models),
                ServedModels: models.Select(m => new ServedModelPrivacy(m.Role, m.Version.Name, m.Version.Version,
                    m.Privacy.Private, m.Privacy.Epsilon, m.Privacy.Delta, m.Privacy.Accountant, m.Privacy.NoiseMultiplier)).ToArray(),
                UserDeletion: true),
            Auth: local ? "this browser is on the server's machine: the key was given to the page" : "given by this browser (kept for this tab only)"));
    }

    /// <summary>What the served models' published metrics say about differential privacy, in one sentence per model.</summary>
    private static string PrivacyNote(IReadOnlyList<(string Role, ModelVersion Version, ModelPrivacy Privacy)> models)
    {
        if (models.Count == 0) return "no model is served yet";
        var each = string.Join("; ", models.Select(m => $"{m.Version.Name} v{m.Version.Version} ({m.Role}): {m.Privacy.Describe()}"));
        return models.All(m => m.Privacy.Private) ? each + ". Every served model was trained with user-level DP-SGD; their ε add up."
            : models.Any(m => m.Privacy.Private) ? each + ". Only part of what is served is private: the models trained without DP-SGD carry no guarantee."
            : each + ". No privacy budget is spent or tracked.";
    }
}
