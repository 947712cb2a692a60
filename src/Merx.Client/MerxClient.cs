using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Merx.Client;

/// <summary>
/// The typed client of the Merx HTTP API: one method per endpoint (each names its endpoint with
/// <see cref="MerxEndpointAttribute"/>; a test checks that the server's OpenAPI document has no endpoint
/// without one). Built on a given <see cref="HttpClient"/>, so <c>IHttpClientFactory</c> owns its handlers:
/// register with <see cref="MerxClientServiceCollectionExtensions.AddMerxClient"/> (which adds retries).
/// Every method takes a <see cref="CancellationToken"/>; a non-2xx answer throws <see cref="MerxApiException"/>.
/// User ids are the shop's own: the server pseudonymizes them.
/// </summary>
public sealed class MerxClient(HttpClient http)
{
    public const string KeyHeader = "X-Api-Key";

    private static string E(string segment) => Uri.EscapeDataString(segment);

    private static string Query(params (string Name, object? Value)[] pairs)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            var text = value switch
            {
                null => null,
                bool b => b ? "true" : "false",
                IEnumerable<string> list => string.Join(',', list),
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                var v => v.ToString(),
            };
            if (text is null) continue;
            sb.Append(sb.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(text));
        }
        return sb.ToString();
    }

    private async Task<T> Send<T>(HttpMethod method, string url, object? body, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, url.TrimStart('/'));
        if (body is HttpContent content) request.Content = content;
        else if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Wire.Options);
        using var response = await http.SendAsync(request, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            string? title = null, detail = null, id = null;
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    title = doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                    detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
                    id = doc.RootElement.TryGetProperty("request_id", out var r) ? r.GetString() : null;
                }
            }
            catch (JsonException) { }
            throw new MerxApiException((int)response.StatusCode, title, detail, id, text);
        }
        if (response.StatusCode == System.Net.HttpStatusCode.NoContent) return default!;   // a delete: no body to read
        return (await response.Content.ReadFromJsonAsync<T>(Wire.Options, cancel).ConfigureAwait(false))!;
    }

    private Task<T> Get<T>(string url, CancellationToken cancel) => Send<T>(HttpMethod.Get, url, null, cancel);

    // Events and feedback

    [MerxEndpoint("POST", "/api/events")]
    public Task<EventsAccepted> PostEventsAsync(IReadOnlyList<MerxEvent> events, CancellationToken cancel = default) =>
        Send<EventsAccepted>(HttpMethod.Post, "api/events", new { events }, cancel);

    [MerxEndpoint("POST", "/api/feedback")]
    public Task<FeedbackAccepted> PostFeedbackAsync(IReadOnlyList<Feedback> feedback, CancellationToken cancel = default) =>
        Send<FeedbackAccepted>(HttpMethod.Post, "api/feedback", new { feedback }, cancel);

    // Items

    [MerxEndpoint("POST", "/api/items")]
    public Task<ItemsUpserted> UpsertItemsAsync(IReadOnlyList<MerxItem> items, CancellationToken cancel = default) =>
        Send<ItemsUpserted>(HttpMethod.Post, "api/items", new { items }, cancel);

    [MerxEndpoint("DELETE", "/api/items/{id}")]
    public Task<JsonElement> DeleteItemAsync(string id, CancellationToken cancel = default) =>
        Send<JsonElement>(HttpMethod.Delete, $"api/items/{E(id)}", null, cancel);

    [MerxEndpoint("PUT", "/api/items/{id}/stock")]
    public Task<StockSet> SetStockAsync(string id, bool inStock, CancellationToken cancel = default) =>
        Send<StockSet>(HttpMethod.Put, $"api/items/{E(id)}/stock", new { in_stock = inStock }, cancel);

    /// <summary>
    /// Sets an item's image from its bytes (<paramref name="contentType"/>: image/png, image/jpeg, image/webp, image/gif or
    /// image/bmp; at most 20 MB). The answer comes once the bytes are checked; the image vector is computed by the server afterwards.
    /// </summary>
    [MerxEndpoint("PUT", "/api/items/{id}/image")]
    public Task<ImageAccepted> PutItemImageAsync(string id, byte[] image, string contentType, CancellationToken cancel = default)
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return Send<ImageAccepted>(HttpMethod.Put, $"api/items/{E(id)}/image", content, cancel);
    }

    /// <summary>Removes an item's image (a <see cref="MerxApiException"/> with status 404 when it has none).</summary>
    [MerxEndpoint("DELETE", "/api/items/{id}/image")]
    public Task DeleteItemImageAsync(string id, CancellationToken cancel = default) =>
        Send<JsonElement>(HttpMethod.Delete, $"api/items/{E(id)}/image", null, cancel);

    [MerxEndpoint("GET", "/api/items/{id}/similar")]
    public Task<SimilarItems> SimilarAsync(string id, int? n = null, CancellationToken cancel = default) =>
        Get<SimilarItems>($"api/items/{E(id)}/similar{Query(("n", n))}", cancel);

    // Recommendations and search

    [MerxEndpoint("GET", "/api/users/{id}/recommendations")]
    public Task<Recommendations> RecommendAsync(string user, int? n = null, RecommendationOptions? options = null, CancellationToken cancel = default)
    {
        var o = options ?? new RecommendationOptions();
        return Get<Recommendations>($"api/users/{E(user)}/recommendations" + Query(("n", n), ("category", o.Category), ("exclude", o.Exclude), ("page", o.Page),
            ("item", o.Item), ("cart", o.Cart), ("budget_ms", o.BudgetMs), ("explore", o.Explore), ("debug", o.Debug), ("platform", o.Platform)), cancel);
    }

    [MerxEndpoint("POST", "/api/sessions/recommendations")]
    public Task<Recommendations> RecommendForSessionAsync(IReadOnlyList<string> items, int? n = null, IReadOnlyList<string>? exclude = null, string? category = null, CancellationToken cancel = default) =>
        Send<Recommendations>(HttpMethod.Post, "api/sessions/recommendations", new { items, n, exclude, category }, cancel);

    [MerxEndpoint("GET", "/api/search")]
    public Task<SearchResults> SearchAsync(string query, string? user = null, int? n = null, CancellationToken cancel = default) =>
        Get<SearchResults>("api/search" + Query(("q", query), ("user", user), ("n", n)), cancel);

    [MerxEndpoint("GET", "/api/users/{id}/shops")]
    public Task<ShopRecommendations> ShopsAsync(string user, int? n = null, CancellationToken cancel = default) =>
        Get<ShopRecommendations>($"api/users/{E(user)}/shops{Query(("n", n))}", cancel);

    [MerxEndpoint("GET", "/api/audiences")]
    public Task<Audience> AudienceAsync(string? item = null, string? category = null, int? n = null, CancellationToken cancel = default) =>
        Get<Audience>("api/audiences" + Query(("item", item), ("category", category), ("n", n)), cancel);

    // Users

    [MerxEndpoint("PUT", "/api/users/{id}")]
    public Task<UserUpdated> PutUserAsync(string user, IReadOnlyDictionary<string, string> attributes, CancellationToken cancel = default) =>
        Send<UserUpdated>(HttpMethod.Put, $"api/users/{E(user)}", new { attributes }, cancel);

    /// <summary>Forgets a user everywhere (events, profile, served lists, feedback, live state).</summary>
    [MerxEndpoint("DELETE", "/api/users/{id}")]
    public Task<UserForgotten> ForgetAsync(string user, CancellationToken cancel = default) =>
        Send<UserForgotten>(HttpMethod.Delete, $"api/users/{E(user)}", null, cancel);

    /// <summary>Links another id of the same person (an app's device id and the web shop's account): one history from the next answer on.</summary>
    [MerxEndpoint("POST", "/api/users/{id}/links")]
    public Task<UsersLinked> LinkUserAsync(string user, string other, CancellationToken cancel = default) =>
        Send<UsersLinked>(HttpMethod.Post, $"api/users/{E(user)}/links", new { user = other }, cancel);

    /// <summary>Takes an id out of its group of linked ids.</summary>
    [MerxEndpoint("DELETE", "/api/users/{id}/links")]
    public Task<UserUnlinked> UnlinkUserAsync(string user, CancellationToken cancel = default) =>
        Send<UserUnlinked>(HttpMethod.Delete, $"api/users/{E(user)}/links", null, cancel);

    [MerxEndpoint("GET", "/api/users/{id}/profile")]
    public Task<JsonElement> ProfileAsync(string user, CancellationToken cancel = default) => Get<JsonElement>($"api/users/{E(user)}/profile", cancel);

    [MerxEndpoint("GET", "/api/users/{id}/events")]
    public Task<JsonElement> UserEventsAsync(string user, int? limit = null, CancellationToken cancel = default) =>
        Get<JsonElement>($"api/users/{E(user)}/events{Query(("limit", limit))}", cancel);

    [MerxEndpoint("GET", "/api/segments")]
    public Task<JsonElement> SegmentsAsync(string attribute, CancellationToken cancel = default) => Get<JsonElement>("api/segments" + Query(("attribute", attribute)), cancel);

    // Models

    [MerxEndpoint("GET", "/api/models")]
    public Task<ModelList> ModelsAsync(CancellationToken cancel = default) => Get<ModelList>("api/models", cancel);

    [MerxEndpoint("POST", "/api/models/train")]
    public Task<JsonElement> TrainAsync(IReadOnlyList<string>? models = null, double? timeBudgetMinutes = null, CancellationToken cancel = default) =>
        Send<JsonElement>(HttpMethod.Post, "api/models/train", new { models, time_budget_minutes = timeBudgetMinutes }, cancel);

    [MerxEndpoint("GET", "/api/models/training")]
    public Task<JsonElement> TrainingStatusAsync(CancellationToken cancel = default) => Get<JsonElement>("api/models/training", cancel);

    // Experiments

    [MerxEndpoint("POST", "/api/experiments")]
    public Task<JsonElement> CreateExperimentAsync(NewExperiment experiment, CancellationToken cancel = default) =>
        Send<JsonElement>(HttpMethod.Post, "api/experiments", experiment, cancel);

    [MerxEndpoint("GET", "/api/experiments")]
    public Task<JsonElement> ExperimentsAsync(CancellationToken cancel = default) => Get<JsonElement>("api/experiments", cancel);

    [MerxEndpoint("GET", "/api/experiments/{id}")]
    public Task<JsonElement> ExperimentAsync(string id, CancellationToken cancel = default) => Get<JsonElement>($"api/experiments/{E(id)}", cancel);

    [MerxEndpoint("POST", "/api/experiments/{id}/stop")]
    public Task<ExperimentStopped> StopExperimentAsync(string id, CancellationToken cancel = default) =>
        Send<ExperimentStopped>(HttpMethod.Post, $"api/experiments/{E(id)}/stop", null, cancel);

    // Operator figures (the dashboard's)

    [MerxEndpoint("GET", "/api/stats")]
    public Task<JsonElement> StatsAsync(CancellationToken cancel = default) => Get<JsonElement>("api/stats", cancel);

    [MerxEndpoint("GET", "/api/stats/timeline")]
    public Task<JsonElement> TimelineAsync(int? days = null, CancellationToken cancel = default) => Get<JsonElement>("api/stats/timeline" + Query(("days", days)), cancel);

    [MerxEndpoint("GET", "/api/stats/exploration")]
    public Task<JsonElement> ExplorationAsync(int? hours = null, CancellationToken cancel = default) => Get<JsonElement>("api/stats/exploration" + Query(("hours", hours)), cancel);

    [MerxEndpoint("GET", "/api/dashboard/users")]
    public Task<JsonElement> SuggestedUsersAsync(int? n = null, CancellationToken cancel = default) => Get<JsonElement>("api/dashboard/users" + Query(("n", n)), cancel);

    [MerxEndpoint("GET", "/api/dashboard/status")]
    public Task<JsonElement> DashboardStatusAsync(CancellationToken cancel = default) => Get<JsonElement>("api/dashboard/status", cancel);

    /// <summary>The push-attack signal: items many new accounts reached in the last window, and those accounts (admin).</summary>
    [MerxEndpoint("GET", "/api/trust/surge")]
    public Task<JsonElement> TrustSurgeAsync(int? watch = null, CancellationToken cancel = default) => Get<JsonElement>("api/trust/surge" + Query(("watch", watch)), cancel);
}
