using Merx.Core.Domain;
using Merx.Service.Experiments;
using Merx.Server.Http;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Merx.Service;

namespace Merx.Server.Endpoints;

/// <summary>
/// Feedback on served recommendations, attributed by the recommendation id every response carries:
/// impression, click, add_to_cart, purchase. Clicks, carts and purchases also become the user's
/// events, so the next recommendation reflects them at once.
/// </summary>
public static class FeedbackEndpoints
{
    private static readonly EventKind[] Allowed = [EventKind.Impression, EventKind.Click, EventKind.AddToCart, EventKind.Purchase];

    public static RouteGroupBuilder MapFeedback(this RouteGroupBuilder api)
    {
        api.MapPost("/feedback", Post).WithName("PostFeedback").WithSummary("Feedback on a served recommendation: one object or {\"feedback\": [...]}.");
        return api;
    }

    private static async Task<Results<Ok<FeedbackAccepted>, ProblemHttpResult>> Post(HttpRequest http, FeedbackIntake intake, IOptions<MerxServerOptions> options)
    {
        // The storefront beacon sends JSON as text/plain: a CORS-safelisted type, so sendBeacon needs no preflight from a shop's origin.
        if (http.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true) http.ContentType = "application/json";
        var (entries, error) = await Json.ReadOneOrManyAsync<FeedbackDto>(http, "feedback", options.Value.MaxBatch);
        if (error is not null) return error;
        var errors = new Dictionary<string, string[]>();
        var wellFormed = new List<(int, FeedbackEntry)>();
        for (var i = 0; i < entries.Count; i++)
        {
            var f = entries[i];
            var problems = new List<string>();
            if (f is null) { errors[$"feedback[{i}]"] = ["entry must be an object"]; continue; }
            if (Validate.Id(f.RecommendationId, "recommendation_id") is { } re) problems.Add(re);
            if (Validate.Id(f.Item, "item") is { } ie) problems.Add(ie);
            var kind = EventKind.Impression;
            if (string.IsNullOrWhiteSpace(f.Kind) || !EventKinds.TryParse(f.Kind, out kind) || !Allowed.Contains(kind))
                problems.Add("kind must be impression, click, add_to_cart or purchase");
            if (f.Value is { } v && (!double.IsFinite(v) || v < 0 || v > 1e9)) problems.Add("value must be a finite number between 0 and 1e9");
            if (problems.Count > 0) errors[$"feedback[{i}]"] = [.. problems];
            else wellFormed.Add((i, new FeedbackEntry(f.RecommendationId!, f.Item!, kind, f.Value ?? 0)));
        }
        var (batch, unattributed) = intake.Attribute(wellFormed, DateTimeOffset.UtcNow);
        foreach (var (i, problem) in unattributed) errors[$"feedback[{i}]"] = [problem];
        if (errors.Count > 0) return Problems.Validation(errors);
        intake.Record(batch);
        return TypedResults.Ok(new FeedbackAccepted(batch.Records.Count, batch.Events.Count));
    }
}
