using Merx.Core.Domain;
using Merx.Server.Http;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Ranking.Pipeline;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
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
        api.MapGet("/users/{id}/profile", Profile).WithName("InterestProfile").WithSummary("A user's interests from their latest events across every linked id, with the activity per platform.");
        api.MapPost("/users/{id}/links", Link).WithName("LinkUser").WithSummary("Link another id of the same person ({\"user\": \"other id\"}: an app's device id and the web shop's account): their histories are one from the next answer on, on every replica, and in the next model; forgetting either forgets both.");
        api.MapDelete("/users/{id}/links", Unlink).WithName("UnlinkUser").WithSummary("Take this id out of its group of linked ids; the others stay linked to each other.");
        api.MapGet("/segments", Segments).WithName("UsersByAttribute").WithSummary("Distinct users per value of a profile attribute: ?attribute=age_band; values with fewer than k users are withheld.");
        return api;
    }

    private static async Task<Results<Ok<UserUpdated>, ProblemHttpResult>> Put(string id, HttpRequest http, UserProfiles profiles)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        var (body, error) = await Json.ReadAsync<UserDto>(http);
        if (error is not null) return error;
        var attrs = body!.Attributes ?? [];
        if (attrs.Count > 100 || attrs.Any(a => a.Key.Length > 200 || a.Value is null || a.Value.Length > 1000))
            return Problems.Bad("attributes: at most 100 entries, keys ≤ 200 and non-null values ≤ 1000 characters");
        var (user, report) = profiles.Set(id, attrs);
        return TypedResults.Ok(new UserUpdated(id, user.Id, user.Attributes.Count, report.TotalDropped + report.TotalMasked, report.DroppedKeys, report.TotalMasked));
    }

    private static Results<Ok<UserForgotten>, ProblemHttpResult> Forget(string id, UserLifecycle lifecycle)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        return TypedResults.Ok(new UserForgotten(id, lifecycle.Forget(id)));
    }

    private static async Task<Results<Ok<UsersLinked>, ProblemHttpResult>> Link(string id, HttpRequest http, UserLinks links, UserIds ids)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        var (body, error) = await Json.ReadAsync<UserLinkDto>(http);
        if (error is not null) return error;
        if (Validate.Id(body!.User, "user") is { } oe) return Problems.Bad(oe);
        if (body.User == id) return Problems.Bad("user: an id cannot be linked to itself");
        try { return TypedResults.Ok(new UsersLinked(id, body.User!, links.LinkShopIds(ids, id, body.User!).Count)); }
        catch (ArgumentException ex) { return Problems.Bad(ex.Message); }
    }

    private static Results<Ok<UserUnlinked>, ProblemHttpResult> Unlink(string id, UserLinks links, UserIds ids)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        return TypedResults.Ok(new UserUnlinked(id, links.UnlinkShopId(ids, id).Count));
    }

    private static Results<Ok<InterestProfile>, ProblemHttpResult> Profile(string id, RecommendationService service, UserIds ids)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        return TypedResults.Ok(service.Profile(ids.ToStored(id)));
    }

    private static Results<Ok<SegmentsResponse>, ProblemHttpResult> Segments(string? attribute, IMerxStore store, SegmentRelease release)
    {
        if (Validate.Id(attribute, "attribute") is { } e) return Problems.Bad(e);
        var (released, report) = release.Segments(store.UsersByAttribute(attribute!));
        return TypedResults.Ok(new SegmentsResponse(
            attribute!,
            report.K,
            released.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => new SegmentSize(p.Key, p.Value)).ToArray(),
            Suppressed: report.SuppressedBelowK + report.SuppressedSecondary,
            report.SuppressedBelowK,
            report.SuppressedSecondary,
            release.Describe() + (report.SuppressedSecondary > 0 ? "; some larger segments are withheld too, so the small ones cannot be recovered by subtraction" : "")));
    }
}

/// <summary>A user's attributes as stored: <c>Pseudonym</c> is the stored id; <c>ScrubbedFields</c> counts the dropped keys and the masked occurrences of personal data.</summary>
public sealed record UserUpdated(string User, string Pseudonym, int Attributes, int ScrubbedFields, IReadOnlyCollection<string> Dropped, int Masked);

/// <summary>The body of a link: the other id of the same person (the shop's id, pseudonymized like every user id).</summary>
public sealed record UserLinkDto(string? User);

/// <summary>Two ids linked, and how many ids their group now holds.</summary>
public sealed record UsersLinked(string User, string Other, int LinkedIds);

/// <summary>An id taken out of its group, and how many ids it was linked to.</summary>
public sealed record UserUnlinked(string User, int WasLinkedTo);

/// <summary>A forgotten user and how many of their events were deleted.</summary>
public sealed record UserForgotten(string User, long EventsRemoved);

/// <summary>Users per value of an attribute, after the k-anonymity gate; <c>Suppressed</c> = below k + withheld so the small ones cannot be recovered by subtraction.</summary>
public sealed record SegmentsResponse(string Attribute, int K, IReadOnlyList<SegmentSize> Segments, int Suppressed, int SuppressedBelowK, int SuppressedSecondary, string Privacy);

/// <summary>One released value of an attribute and its number of distinct users (with Laplace noise when configured).</summary>
public sealed record SegmentSize(string Value, long Users);
