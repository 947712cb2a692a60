using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Http;

/// <summary>
/// Every write (POST, PUT, PATCH, DELETE under /api) needs the API key in <c>X-Api-Key</c>; reads
/// need it too unless the real client is on this machine (<see cref="ClientOrigin.IsLoopbackClient"/>:
/// behind a reverse proxy, the client its X-Forwarded-For names, when the proxy is trusted).
/// Health and metrics stay open for probes. The comparison is constant-time. POST /api/feedback may carry
/// the key as <c>?key=</c> instead (the storefront beacon's sendBeacon cannot set headers).
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<MerxServerOptions> options)
{
    public const string Header = "X-Api-Key";

    /// <summary>The one path that also takes the key as <c>?key=</c>: feedback from the storefront beacon.</summary>
    public const string BeaconPath = "/api/feedback";

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var isApi = path.StartsWithSegments("/api");
        var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method);
        var needsKey = isApi && (write || !ClientOrigin.IsLoopbackClient(context)); // the dashboard page at / checks the key itself (DashboardAuth)
        var given = context.Request.Headers[Header].ToString();
        // The storefront beacon (/merx.js) posts feedback with navigator.sendBeacon, which cannot set headers.
        if (given.Length == 0 && HttpMethods.IsPost(context.Request.Method) && path.Equals(BeaconPath, StringComparison.OrdinalIgnoreCase)) given = context.Request.Query["key"].ToString();
        if (needsKey && !Matches(given, options.Value.ApiKey))
        {
            var missing = string.IsNullOrEmpty(given);
            await Problems.Status(StatusCodes.Status401Unauthorized, "unauthorized",
                missing ? $"this request needs the API key in the {Header} header" : $"the {Header} header does not match the server's API key").ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    internal static bool Matches(string given, string? expected)
    {
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(given)) return false;
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
