using Merx.Core.Trust;
using Merx.Server.Http;
using Merx.Service.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>The push-attack signal's answer: whether it is on yet, its settings, and the window's report.</summary>
public sealed record SurgeResponse(bool Primed, SurgeOptions Options, SurgeReport Report);

/// <summary>GET /api/trust/surge (admin): items many new accounts are pushing right now, and those accounts (<see cref="IngestSignals"/>).</summary>
public static class TrustEndpoints
{
    public static RouteGroupBuilder MapTrust(this RouteGroupBuilder api)
    {
        api.MapGet("/trust/surge", Results<Ok<SurgeResponse>, ProblemHttpResult> (int? watch, IngestSignals signals) => watch is < 0 or > 100
                ? Problems.Bad("watch must be between 0 and 100")
                : TypedResults.Ok(new SurgeResponse(signals.Primed, signals.Options, signals.Report(watch ?? 10))))
            .WithName("TrustSurge")
            .WithSummary("Items pushed by many new accounts in the last window (flagged: enough new accounts, a large new-account share, far above the rest of the traffic's), " +
                "the next ?watch=10 items with the most new accounts, and the new accounts on flagged items.");
        return api;
    }
}
