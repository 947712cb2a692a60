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
/// Health and metrics stay open for probes. The comparison is constant-time.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<MerxServerOptions> options)
{
    public const string Header = "X-Api-Key";

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var isApi = path.StartsWithSegments("/api");
        var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method);
        var needsKey = isApi && (write || !ClientOrigin.IsLoopbackClient(context)); // the dashboard page at / checks the key itself (DashboardAuth)
        if (needsKey && !Matches(context.Request.Headers[Header].ToString(), options.Value.ApiKey))
        {
            var missing = string.IsNullOrEmpty(context.Request.Headers[Header].ToString());
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
