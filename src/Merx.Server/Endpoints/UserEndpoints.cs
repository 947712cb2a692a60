using Merx.Core.Domain;
using Merx.Privacy.Scrubbing;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>
/// Users: attributes (scrubbed of personal data), interest profile, deletion (forget), and users by
/// attribute behind the k-anonymity gate. The {id} in a path is the shop's own user id; it is
/// pseudonymized before it reaches the store.
/// </summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        api.MapPut("/users/{id}", Put).WithName("PutUser").WithSummary("Set a user's coarse attributes ({\"attributes\": {...}}); personal data (names, emails, phones, addresses, …) is dropped or masked and counted in the response.");
        api.MapDelete("/users/{id}", Forget).WithName("ForgetUser").WithSummary("Forget a user: their events, sessions, profile, served recommendations, feedback, live policy state and experiment tallies; deleted bytes are overwritten and the write-ahead log truncated.");
        api.MapGet("/users/{id}/profile", Profile).WithName("InterestProfile");
        api.MapGet("/segments", Segments).WithName("UsersByAttribute").WithSummary("Distinct users per value of a profile attribute: ?attribute=age_band; values with fewer than k users are withheld.");
        return api;
    }

    private static async Task<IResult> Put(string id, HttpRequest http, IMerxStore store, IngestPrivacy privacy)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        var (body, error) = await Json.ReadAsync<UserDto>(http);
        if (error is not null) return error;
        var attrs = body!.Attributes ?? [];
        if (attrs.Count > 100 || attrs.Any(a => a.Key.Length > 200 || a.Value is null || a.Value.Length > 1000))
            return Problems.Bad("attributes: at most 100 entries, keys ≤ 200 and non-null values ≤ 1000 characters");
        var report = new ScrubReport();
        privacy.Ids.Rekey([id]);
        var user = privacy.User(new UserProfile { Id = id, Attributes = attrs }, report);
        store.UpsertUsers([user]);
        return Results.Ok(new
        {
            user = id, pseudonym = user.Id, attributes = user.Attributes.Count,
            scrubbed_fields = report.TotalDropped + report.TotalMasked, dropped = report.DroppedKeys, masked = report.TotalMasked,
        });
    }

    private static IResult Forget(string id, UserLifecycle lifecycle)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        return Results.Ok(new { user = id, events_removed = lifecycle.Forget(id) });
    }

    private static IResult Profile(string id, RecommendationService service, UserIds ids)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        return Results.Ok(service.Profile(ids.ToStored(id)));
    }

    private static IResult Segments(string? attribute, IMerxStore store, SegmentRelease release)
    {
        if (Validate.Id(attribute, "attribute") is { } e) return Problems.Bad(e);
        var (released, report) = release.Segments(store.UsersByAttribute(attribute!));
        return Results.Ok(new
        {
            attribute,
            k = report.K,
            segments = released.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => new { value = p.Key, users = p.Value }).ToArray(),
            suppressed = report.SuppressedBelowK + report.SuppressedSecondary,
            suppressed_below_k = report.SuppressedBelowK,
            suppressed_secondary = report.SuppressedSecondary,
            privacy = release.Describe() + (report.SuppressedSecondary > 0 ? "; some larger segments are withheld too, so the small ones cannot be recovered by subtraction" : ""),
        });
    }
}
