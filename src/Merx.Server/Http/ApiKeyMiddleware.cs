using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Merx.Service.Security;

namespace Merx.Server.Http;

/// <summary>
/// Scoped API keys in <c>X-Api-Key</c> (<see cref="ApiKeyRing"/>): every write under /api needs a key whose
/// scope covers the route (<see cref="ScopeOf"/>); reads need one too unless the real client is on this
/// machine (<see cref="ClientOrigin.IsLoopbackClient"/>: behind a reverse proxy, the client its
/// X-Forwarded-For names, when the proxy is trusted). Health and metrics stay open for probes. A wrong key
/// gets 401, a key with too small a scope 403; neither answer nor any log line carries the key.
/// POST /api/feedback may carry the key as <c>?key=</c> instead (the storefront beacon's sendBeacon cannot set
/// headers) and needs only the read scope: the beacon's key is public in the shop's pages (issue 22).
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyRing keys)
{
    public const string Header = "X-Api-Key";

    /// <summary>The one path that also takes the key as <c>?key=</c>: feedback from the storefront beacon.</summary>
    public const string BeaconPath = "/api/feedback";

    // Route patterns (as mapped under /api) and the scope they need; anything not listed needs admin.
    private static readonly Dictionary<(string Method, string Route), ApiScope> Scopes = new()
    {
        [("GET", "/api/users/{id}/recommendations")] = ApiScope.Read,
        [("POST", "/api/sessions/recommendations")] = ApiScope.Read,
        [("GET", "/api/items/{id}/similar")] = ApiScope.Read,
        [("GET", "/api/search")] = ApiScope.Read,
        [("GET", "/api/users/{id}/shops")] = ApiScope.Read,
        [("GET", "/api/users/{id}/profile")] = ApiScope.Read,
        [("POST", "/api/events")] = ApiScope.Write,
        [("POST", "/api/feedback")] = ApiScope.Read,   // impressions and clicks from the storefront beacon, whose key is public
        [("POST", "/api/items")] = ApiScope.Write,
        [("DELETE", "/api/items/{id}")] = ApiScope.Write,
        [("PUT", "/api/items/{id}/stock")] = ApiScope.Write,
        [("PUT", "/api/items/{id}/image")] = ApiScope.Write,
        [("DELETE", "/api/items/{id}/image")] = ApiScope.Write,
        [("PUT", "/api/users/{id}")] = ApiScope.Write,
        [("POST", "/api/users/{id}/links")] = ApiScope.Write,
        [("DELETE", "/api/users/{id}/links")] = ApiScope.Write,
    };

    /// <summary>The scope a request needs: read for the storefront's routes, write for ingestion, admin for the rest (models, experiments, forgetting a user, statistics, audiences, unknown routes).</summary>
    public static ApiScope ScopeOf(HttpContext context)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        return route is not null && Scopes.TryGetValue((context.Request.Method.ToUpperInvariant(), route), out var scope) ? scope : ApiScope.Admin;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var isApi = context.Request.Path.StartsWithSegments("/api");
        var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method);
        var needsKey = isApi && (write || !ClientOrigin.IsLoopbackClient(context)); // the dashboard page at / checks the key itself (DashboardAuth)
        if (needsKey)
        {
            var given = context.Request.Headers[Header].ToString();
            if (given.Length == 0 && HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(BeaconPath, StringComparison.OrdinalIgnoreCase))
                given = context.Request.Query["key"].ToString();
            var needed = ScopeOf(context);
            var scope = keys.Find(given);
            if (scope is null)
            {
                await Problems.Status(StatusCodes.Status401Unauthorized, "unauthorized",
                    given.Length == 0 ? $"this request needs an API key in the {Header} header" : $"the {Header} header does not match any of the server's API keys").ExecuteAsync(context);
                return;
            }
            if (scope < needed)
            {
                await Problems.Status(StatusCodes.Status403Forbidden, "forbidden",
                    $"this request needs a key with the {needed.ToString().ToLowerInvariant()} scope; the given key has {scope.Value.ToString().ToLowerInvariant()}").ExecuteAsync(context);
                return;
            }
        }
        await next(context);
    }
}
