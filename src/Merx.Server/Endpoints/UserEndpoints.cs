using Merx.Core.Domain;
using Merx.Server.Http;
using Merx.Server.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>Users: attributes, interest profile, deletion (forget).</summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        api.MapPut("/users/{id}", Put).WithName("PutUser").WithSummary("Set a user's coarse attributes ({\"attributes\": {...}}).");
        api.MapDelete("/users/{id}", Forget).WithName("ForgetUser").WithSummary("Forget a user: their events, profile, served recommendations and feedback.");
        api.MapGet("/users/{id}/profile", Profile).WithName("InterestProfile");
        return api;
    }

    private static async Task<IResult> Put(string id, HttpRequest http, IMerxStore store)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        var (body, error) = await Json.ReadAsync<UserDto>(http);
        if (error is not null) return error;
        var attrs = body!.Attributes ?? [];
        if (attrs.Count > 100 || attrs.Any(a => a.Key.Length > 200 || a.Value is null || a.Value.Length > 1000))
            return Problems.Bad("attributes: at most 100 entries, keys ≤ 200 and non-null values ≤ 1000 characters");
        store.UpsertUsers([new UserProfile { Id = id, Attributes = attrs }]);
        return Results.Ok(new { user = id, attributes = attrs.Count });
    }

    private static IResult Forget(string id, IMerxStore store, ServedLog served, HistoryCache histories)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        served.Flush();
        var removed = store.DeleteUser(id);
        histories.Forget(id);
        return Results.Ok(new { user = id, events_removed = removed });
    }

    private static IResult Profile(string id, RecommendationService service)
    {
        if (Validate.Id(id, "user id") is { } e) return Problems.Bad(e);
        return Results.Ok(service.Profile(id));
    }
}
