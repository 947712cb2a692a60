using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Http;

/// <summary>
/// Load shedding: an /api request that arrives while <see cref="MerxServerOptions.MaxInFlight"/> others
/// are in flight or waiting for a thread (the thread pool's queue) is answered at once with 503 and
/// <c>Retry-After: 1</c> instead of waiting in a queue, so
/// the requests that are admitted keep their latency, memory stays bounded by the limit, and the server is
/// back to normal as soon as the load drops. Health, metrics and the dashboard's static files are never
/// shed: a probe must see a live server even while it sheds. A counter, not ASP.NET Core's concurrency
/// limiter, because a shed request must cost almost nothing (no lease, no queue).
/// </summary>
public sealed class AdmissionGate(RequestDelegate next, IOptions<MerxServerOptions> options, Merx.Service.Telemetry.MerxMetrics metrics)
{
    private int _inFlight;
    private long _shed;

    /// <summary>Requests answered 503 by the gate since the start.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    public async Task InvokeAsync(HttpContext context)
    {
        var limit = options.Value.MaxInFlight;
        if (limit <= 0 || !context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }
        // Requests wait for a thread before they reach any middleware, in the thread pool's queue: on a
        // loaded server that queue, not the requests being served, is where latency grows, so it counts too,
        // but only while requests are busy (more in flight than cores): a background training run also fills
        // that queue, and must not make an idle server refuse its few requests.
        var inFlight = Interlocked.Increment(ref _inFlight);
        if (inFlight > limit || inFlight > Environment.ProcessorCount && inFlight + ThreadPool.PendingWorkItemCount > limit)
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _shed);
            metrics.Shed("overload");
            context.Response.Headers.RetryAfter = "1";
            await Problems.Status(StatusCodes.Status503ServiceUnavailable, "server busy", $"more than {limit:N0} requests in flight or waiting; retry after a second").ExecuteAsync(context);
            return;
        }
        try { await next(context); }
        finally { Interlocked.Decrement(ref _inFlight); }
    }
}
