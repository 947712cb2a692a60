using System.Net;
using System.Text;
using Merx.Server.Dashboard;
using Merx.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Merx.Server.Endpoints;

/// <summary>
/// The storefront side (issue 22): the beacon a shop's pages load (<c>GET /merx.js</c>: impressions and
/// clicks of served lists to <c>POST /api/feedback</c>, see the file's header), and the demo shop at
/// <c>/shop</c>, the shop as a customer sees it, built on that beacon. The demo page is given the API key
/// under the same rule as the dashboard (<see cref="DashboardAuth"/>: a browser on this machine, or one
/// that gave <c>?key=</c>); a real shop writes its own key into the script tag's <c>data-key</c>.
/// </summary>
public static class StorefrontEndpoints
{
    private const string KeyMarker = "__MERX_KEY__";
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly byte[] Beacon = Encoding.UTF8.GetBytes(DashboardAssets.Read("merx.js", "Storefront"));
    private static readonly byte[] ShopScript = Encoding.UTF8.GetBytes(DashboardAssets.Read("shop.js", "Storefront"));
    private static readonly byte[] ShopStyles = Encoding.UTF8.GetBytes(DashboardAssets.Read("shop.css", "Storefront"));
    private static readonly string ShopPage = DashboardAssets.Read("shop.html", "Storefront");

    public static WebApplication MapStorefront(this WebApplication app)
    {
        app.MapGet("/merx.js", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=300";
            http.Response.Headers.AccessControlAllowOrigin = "*"; // loaded by shops' pages on their own origins
            return TypedResults.Bytes(Beacon, "text/javascript; charset=utf-8");
        }).ExcludeFromDescription();
        app.MapGet("/shop", Page).ExcludeFromDescription();
        app.MapGet("/shop/shop.js", () => TypedResults.Bytes(ShopScript, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/shop/shop.css", () => TypedResults.Bytes(ShopStyles, "text/css; charset=utf-8")).ExcludeFromDescription();
        return app;
    }

    private static ContentHttpResult Page(HttpContext http, IOptions<MerxServerOptions> options, Merx.Service.Security.ApiKeyRing keys)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.ContentSecurityPolicy = Csp;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // The demo shop on this machine uses the server's key; a remote visitor's page carries the key they gave.
        var key = DashboardAuth.Check(http, keys) switch
        {
            DashboardAuth.Verdict.Local => options.Value.ApiKey,
            DashboardAuth.Verdict.KeyGiven => DashboardAuth.GivenKey(http),
            _ => "",
        };
        return TypedResults.Content(ShopPage.Replace(KeyMarker, WebUtility.HtmlEncode(key ?? ""), StringComparison.Ordinal), "text/html; charset=utf-8");
    }
}
