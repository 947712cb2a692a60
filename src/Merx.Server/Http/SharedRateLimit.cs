using System.Net;
using System.Security.Cryptography;
using System.Text;
using Merx.Service;
using Merx.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Merx.Server.Http;

/// <summary>
/// The rate limit of replicas that share one store (issue 18): each /api request of a client counts in the
/// store's counter for the current second (<see cref="ISharedServingState.CountRequestAsync"/>: one upsert of
/// an unlogged row, no WAL flush), and a request beyond <see cref="MerxServerOptions.RateLimitPerSecond"/> in
/// that second, summed over every replica, is answered 429 with <c>Retry-After: 1</c>. A single process on
/// SQLite keeps ASP.NET Core's in-memory token bucket. Health, metrics and the dashboard's files are not counted,
/// so a probe still sees a live replica while the database is down.
/// </summary>
public sealed class SharedRateLimit(RequestDelegate next, IMerxStore store, IOptions<MerxServerOptions> options, Merx.Service.Telemetry.MerxMetrics metrics)
{
    private readonly ISharedServingState _counters = (ISharedServingState)store;

    /// <summary>
    /// The client a request counts against: its API key (as a hash: the same on every replica, and no key is
    /// written to the store) or, without one, its address (after trusted proxies).
    /// </summary>
    public static string Client(HttpContext ctx) =>
        ctx.Request.Headers[ApiKeyMiddleware.Header].ToString() is { Length: > 0 } key
            ? "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 12)
            : "ip:" + (ctx.Connection.RemoteIpAddress ?? IPAddress.Loopback);

    public async Task InvokeAsync(HttpContext ctx)
    {
        if (!ctx.Request.Path.StartsWithSegments("/api"))
        {
            await next(ctx);
            return;
        }
        var limit = options.Value.RateLimitPerSecond;
        var n = await _counters.CountRequestAsync(Client(ctx), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ctx.RequestAborted);
        if (n > limit)
        {
            metrics.Shed("rate_limit");
            ctx.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            ctx.Response.Headers.RetryAfter = "1";
            await Problems.Status(StatusCodes.Status429TooManyRequests, "too many requests", $"more than {limit:N0} requests per second from this client; retry after a second").ExecuteAsync(ctx);
            return;
        }
        await next(ctx);
    }
}
