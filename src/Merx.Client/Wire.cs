using System.Text.Json;
using System.Text.Json.Serialization;

namespace Merx.Client;

// The API's JSON shapes (snake_case on the wire). Inputs leave optional fields null; outputs mirror the
// server's answers. Reports with many nested statistics (experiments, dashboards) are JsonElement.

public sealed record MerxEvent(string User, string? Item, string Kind, long? Timestamp = null, double? Value = null, string? Session = null, string? Query = null, string? Platform = null);
public sealed record EventsAccepted(long Accepted, long NewUsers, long NewItems, long FirstSequence, long LastSequence, long ScrubbedFields);

public sealed record MerxItem(string Id, string? Title = null, string? Description = null, string? Category = null, string? Brand = null, string? Shop = null,
    double? Price = null, IReadOnlyList<string>? Tags = null, IReadOnlyDictionary<string, string>? Attributes = null, DateTimeOffset? CreatedAt = null, bool? InStock = null);
public sealed record ItemsUpserted(int Upserted);
public sealed record StockSet(string Item, bool InStock);
/// <summary>An accepted item image: its content hash and the encoder its vector is (or will be) computed with.</summary>
public sealed record ImageAccepted(string Item, string ImageHash, string Encoder);

public sealed record RecommendedItem(string Item, float Score, string Reason, string Source, bool Explored, string? Title, string? Category);
public sealed record ModelRef(string Name, long Version);
public sealed record PipelineStage(string Stage, double Ms, bool Skipped, string? Why);
public sealed record Recommendations(IReadOnlyList<RecommendedItem> Items, string RecommendationId, string Path, ModelRef? Model,
    double ExplorationRate, double SessionShare, double ElapsedMs, IReadOnlyList<PipelineStage>? Stages, string? Variant);
public sealed record SimilarItems(string Item, IReadOnlyList<RecommendedItem> Items);
public sealed record SearchHit(string Item, float Score, float TextScore, float PersonalScore, string? Title, string? Category, string Reason);
public sealed record SearchResults(string Query, bool Personalized, IReadOnlyList<SearchHit> Items);
public sealed record ShopScore(string Shop, double Score, int Items, string Reason);
public sealed record ShopRecommendations(IReadOnlyList<ShopScore> Shops, string RecommendationId);
public sealed record AudienceMember(string User, double Score);
public sealed record Audience(string Target, long? UsersScored, IReadOnlyList<AudienceMember> Users, string Method, int K, bool Suppressed, string? Privacy);

/// <summary>What a recommendation request may ask besides n (see the server's RecommendForUser summary).</summary>
public sealed record RecommendationOptions(string? Category = null, IReadOnlyList<string>? Exclude = null, string? Page = null, string? Item = null,
    IReadOnlyList<string>? Cart = null, double? BudgetMs = null, bool? Explore = null, bool? Debug = null, string? Platform = null);

public sealed record Feedback(string RecommendationId, string Item, string Kind, double? Value = null);
public sealed record FeedbackAccepted(int Accepted, int EventsRecorded);

public sealed record UserUpdated(string User, string Pseudonym, int Attributes, int ScrubbedFields, IReadOnlyCollection<string> Dropped, int Masked);
public sealed record UserForgotten(string User, long EventsRemoved);
public sealed record UsersLinked(string User, string Other, int LinkedIds);
public sealed record UserUnlinked(string User, int WasLinkedTo);

public sealed record ModelListing(long Version, string Name, DateTimeOffset CreatedAt, string Sha256, long SizeBytes, JsonElement Metrics, bool Serving);
public sealed record ModelList(IReadOnlyList<ModelListing> Models, DateTimeOffset? SnapshotBuiltAt, int? CatalogItems);

public sealed record Variant(string Name, double Share, bool? Explore = null, float? DiversityLambda = null);
public sealed record NewExperiment(string Id, IReadOnlyList<Variant> Variants, string? Metric = null, double? BaseRate = null);
public sealed record ExperimentStopped(string Id, bool Stopped);

internal static class Wire
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
