using Merx.Ranking.Pipeline;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Endpoints;

/// <summary>
/// Recommendations: for a user (with page context), for an anonymous session, search, shops, campaign
/// audiences. User ids in paths and queries are the shop's own; they are pseudonymized before use.
/// </summary>
public static class RecommendationEndpoints
{
    public static RouteGroupBuilder MapRecommendations(this RouteGroupBuilder api)
    {
        api.MapGet("/users/{id}/recommendations", ForUser).WithName("RecommendForUser")
            .WithSummary("Top-n items for a user now: ?n=10&category=&exclude=a,b&page=home|item|cart&item=&cart=a,b&budget_ms=&explore=false&debug=true&platform=app (the session is looked for in that platform's events; the history spans every platform and linked id)");
        api.MapPost("/sessions/recommendations", ForSession).WithName("RecommendForSession")
            .WithSummary("Recommendations for an anonymous visitor from the items of their session or cart ({\"items\": [...], \"n\": 10}).");
        api.MapGet("/search", Search).WithName("Search").WithSummary("Personalised search: ?q=&user=&n=");
        api.MapGet("/users/{id}/shops", Shops).WithName("RecommendShops");
        api.MapGet("/audiences", Audience).WithName("CampaignAudience").WithSummary("Users (pseudonyms) most likely to want an item or a category: ?item= or ?category=, &n=100; withheld when fewer than k users are scored.");
        return api;
    }

    private static Results<Ok<RecommendationResponse>, ProblemHttpResult> ForUser(string id, HttpContext http, RecommendationService service, UserIds ids, IOptions<MerxServerOptions> options)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        id = ids.ToStored(id);
        var (q, error) = ParseQuery(http.Request.Query, options.Value);
        if (error is not null) return error;
        if (service.Snapshot is not { Ready: true }) return Problems.NotReady("no model published yet (run 'merx train' or POST /api/models/train)");
        return TypedResults.Ok(service.Recommend(id, q!));
    }

    private static async Task<Results<Ok<RecommendationResponse>, ProblemHttpResult>> ForSession(HttpRequest http, RecommendationService service, IOptions<MerxServerOptions> options)
    {
        var (body, error) = await Json.ReadAsync<SessionRequestDto>(http);
        if (error is not null) return error;
        var items = body!.Items ?? [];
        if (items.Count > 1000) return Problems.Bad("at most 1000 session items");
        foreach (var (item, k) in items.Select((x, k) => (x, k)))
            if (Validate.Id(item, $"items[{k}]") is { } e) return Problems.Bad(e);
        if (Query.N(body.N, options.Value.MaxN) is { Error: { } ne }) return ne;
        if (service.Snapshot is not { Ready: true }) return Problems.NotReady("no model published yet");
        var q = new RecommendationQuery(body.N ?? 10, PageContext.Cart, null, [], body.Category, body.Exclude ?? [], null, false);
        return TypedResults.Ok(service.Session(items, q));
    }

    private static Results<Ok<SearchResponse>, ProblemHttpResult> Search(string? q, string? user, int? n, RecommendationService service, UserIds ids, IOptions<MerxServerOptions> options)
    {
        if (string.IsNullOrWhiteSpace(q)) return Problems.Bad("q (the search text) is required");
        if (Validate.Text(q, "q", 512) is { } e) return Problems.Bad(e);
        if (user is not null && Validate.Id(user, "user") is { } ue) return Problems.Bad(ue);
        if (Query.N(n, options.Value.MaxN) is { Error: { } ne }) return ne;
        return TypedResults.Ok(service.Search(q, user is null ? null : ids.ToStored(user), n ?? 10));
    }

    private static Results<Ok<ShopsResponse>, ProblemHttpResult> Shops(string id, int? n, RecommendationService service, UserIds ids, IOptions<MerxServerOptions> options)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        if (Query.N(n, options.Value.MaxN) is { Error: { } ne }) return ne;
        if (service.Snapshot is not { Ready: true }) return Problems.NotReady("no model published yet");
        return TypedResults.Ok(service.Shops(ids.ToStored(id), n ?? 5));
    }

    private static Results<Ok<AudienceResponse>, ProblemHttpResult> Audience(string? item, string? category, int? n, int? scan, RecommendationService service, SegmentRelease release)
    {
        if ((item is null) == (category is null)) return Problems.Bad("give exactly one of item= or category=");
        if (item is not null && Validate.Id(item, "item") is { } e) return Problems.Bad(e);
        if (category is not null && Validate.Text(category, "category", 512) is { } ce) return Problems.Bad(ce);
        if (n is < 1 or > 10_000) return Problems.Bad("n must be between 1 and 10000");
        if (scan is < 1 or > 200_000) return Problems.Bad("scan must be between 1 and 200000");
        if (service.Snapshot is not { Ready: true }) return Problems.NotReady("no model published yet");
        var result = service.Audience(item, category, n ?? 100, scan ?? 20_000, release);
        return result is null ? Problems.NotFound(item is not null ? $"unknown item '{item}'" : $"no item in category '{category}'") : TypedResults.Ok(result);
    }

    internal static (RecommendationQuery? Query, ProblemHttpResult? Error) ParseQuery(IQueryCollection query, MerxServerOptions options)
    {
        int? n = null;
        if (query.TryGetValue("n", out var nText))
        {
            if (!int.TryParse(nText, out var parsed)) return (null, Problems.Bad($"n must be an integer (got '{Clip(nText!)}')"));
            n = parsed;
        }
        if (Query.N(n, options.MaxN) is { Error: { } ne }) return (null, ne);
        var page = PageContext.Home;
        if (query.TryGetValue("page", out var p) && !Enum.TryParse(p.ToString(), ignoreCase: true, out page))
            return (null, Problems.Bad($"page must be home, item, cart or search (got '{Clip(p!)}')"));
        double? budget = null;
        if (query.TryGetValue("budget_ms", out var b))
        {
            if (!double.TryParse(b, System.Globalization.CultureInfo.InvariantCulture, out var ms) || !double.IsFinite(ms) || ms <= 0 || ms > 60_000)
                return (null, Problems.Bad("budget_ms must be a number of milliseconds between 0 and 60000"));
            budget = ms;
        }
        var item = query["item"].ToString() is { Length: > 0 } it ? it : null;
        if (item is not null && Validate.Id(item, "item") is { } ie) return (null, Problems.Bad(ie));
        var category = query["category"].ToString() is { Length: > 0 } c ? c : null;
        if (category is not null && Validate.Text(category, "category", 512) is { } ce) return (null, Problems.Bad(ce));
        var exclude = Query.List(query["exclude"]);
        var cart = Query.List(query["cart"]);
        if (exclude.Count > 1000 || cart.Count > 1000) return (null, Problems.Bad("at most 1000 ids in exclude and in cart"));
        var debug = query["debug"].ToString() is "1" or "true";
        var excludeSeen = query["include_seen"].ToString() is not ("1" or "true");
        var explore = query["explore"].ToString() is not ("0" or "false");
        var platform = query["platform"].ToString() is { Length: > 0 } pl ? pl : null;
        if (Merx.Core.Domain.Platforms.Problem(platform) is { } pe) return (null, Problems.Bad(pe));
        return (new RecommendationQuery(n ?? 10, page, item, cart, category, exclude, budget, debug, excludeSeen, explore, platform), null);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
