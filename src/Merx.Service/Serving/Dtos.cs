using System.Text.Json;

namespace Merx.Service.Serving;

// Wire shapes (snake_case on the wire). Optional inputs are nullable; validation lives in Validate.cs.

public sealed record EventDto(string? User, string? Item, string? Kind, JsonElement? Timestamp, double? Value, string? Session, string? Query, string? Platform = null);
public sealed record EventsAccepted(long Accepted, long NewUsers, long NewItems, long FirstSequence, long LastSequence, long ScrubbedFields);

public sealed record ItemDto(string? Id, string? Title, string? Description, JsonElement? Category, string? Brand, string? Shop, double? Price,
    IReadOnlyList<string>? Tags, Dictionary<string, string>? Attributes, DateTimeOffset? CreatedAt, bool? InStock);
public sealed record ItemBatchDto(IReadOnlyList<ItemDto?>? Items);
public sealed record StockDto(bool? InStock);
public sealed record UserDto(Dictionary<string, string>? Attributes);

public sealed record RecommendedItem(string Item, float Score, string Reason, string Source, bool Explored, string? Title, string? Category);
public sealed record ModelRef(string Name, long Version);
public sealed record RecommendationResponse(IReadOnlyList<RecommendedItem> Items, string RecommendationId, string Path, ModelRef? Model,
    double ExplorationRate, double SessionShare, double ElapsedMs, IReadOnlyList<StageDto>? Stages, string? Variant = null);
public sealed record StageDto(string Stage, double Ms, bool Skipped, string? Why);

public sealed record SessionRequestDto(IReadOnlyList<string>? Items, int? N, IReadOnlyList<string>? Exclude, string? Category);
public sealed record SimilarResponse(string Item, IReadOnlyList<RecommendedItem> Items);
public sealed record SearchHit(string Item, float Score, float TextScore, float PersonalScore, string? Title, string? Category, string Reason);
public sealed record SearchResponse(string Query, bool Personalized, IReadOnlyList<SearchHit> Items);
public sealed record ShopScore(string Shop, double Score, int Items, string Reason);
public sealed record ShopsResponse(IReadOnlyList<ShopScore> Shops, string RecommendationId);
public sealed record AudienceMember(string User, double Score);
/// <summary>
/// A campaign audience. <c>Users</c> are pseudonyms (the shop maps them back by computing the same
/// HMAC over its own ids, or with <c>merx pseudonym</c>). When fewer than <c>K</c> users were scored the
/// audience is withheld (<c>Suppressed</c>, no users, no size); <c>UsersScored</c> carries Laplace noise
/// when the server is configured with a size ε (<c>SizeNoiseEpsilon</c>).
/// </summary>
public sealed record AudienceResponse(string Target, long? UsersScored, IReadOnlyList<AudienceMember> Users, string Method, int K, bool Suppressed, string? Privacy);

public sealed record FeedbackDto(string? RecommendationId, string? Item, string? Kind, double? Value);
public sealed record FeedbackAccepted(int Accepted, int EventsRecorded);

public sealed record TrainRequestDto(IReadOnlyList<string>? Models, double? TimeBudgetMinutes);

public sealed record VariantDto(string? Name, double? Share, bool? Explore, float? DiversityLambda);
public sealed record ExperimentDto(string? Id, IReadOnlyList<VariantDto?>? Variants, string? Metric, double? BaseRate);
