using Merx.Core.Domain;
using Merx.Server.Http;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Merx.Service;
using Merx.Service.Catalog;

namespace Merx.Server.Endpoints;

/// <summary>Catalog: batch upsert, delete, stock flag, similar items.</summary>
public static class ItemEndpoints
{
    public static RouteGroupBuilder MapItems(this RouteGroupBuilder api)
    {
        api.MapPost("/items", Upsert).WithName("UpsertItems").WithSummary("Insert or replace catalog items ({\"items\": [...]}); all or nothing.");
        api.MapDelete("/items/{id}", Delete).WithName("DeleteItem");
        api.MapPut("/items/{id}/stock", Stock).WithName("SetStock").WithSummary("Mark an item in or out of stock ({\"in_stock\": false}); effective on the next request.");
        api.MapGet("/items/{id}/similar", Similar).WithName("SimilarItems");
        return api;
    }

    private static async Task<Results<Ok<ItemsUpserted>, ProblemHttpResult>> Upsert(HttpRequest http, CatalogWrites catalog, IOptions<MerxServerOptions> options)
    {
        var (body, error) = await Json.ReadAsync<ItemBatchDto>(http);
        if (error is not null) return error;
        var items = body!.Items ?? [];
        if (items.Count == 0) return Problems.Bad("no items in the batch (expected {\"items\": [...]})");
        if (items.Count > options.Value.MaxBatch) return Problems.Status(StatusCodes.Status413PayloadTooLarge, "batch too large", $"{items.Count:N0} items in one request; at most {options.Value.MaxBatch:N0}");
        var valid = new Item[items.Count];
        var errors = new Dictionary<string, string[]>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var (item, problems) = Validate.Item(items[i]);
            if (item is not null && !ids.Add(item.Id)) problems.Add($"duplicate id '{item.Id}' in the batch");
            if (problems.Count > 0) { errors[$"items[{i}]"] = problems.ToArray(); if (errors.Count >= 20) break; }
            else valid[i] = item!;
        }
        if (errors.Count > 0) return Problems.Validation(errors);
        var (written, suggested) = catalog.Upsert(valid);
        return TypedResults.Ok(new ItemsUpserted(written, suggested.Count == 0 ? null : suggested));
    }

    private static Results<NoContent, ProblemHttpResult> Delete(string id, CatalogWrites catalog)
    {
        if (Validate.Id(id, "item id") is { } e) return Problems.Bad(e);
        return catalog.Delete(id) ? TypedResults.NoContent() : Problems.NotFound($"no catalog item '{id}'");
    }

    private static async Task<Results<Ok<StockSet>, ProblemHttpResult>> Stock(string id, HttpRequest http, CatalogWrites catalog)
    {
        if (Validate.Id(id, "item id") is { } e) return Problems.Bad(e);
        var (body, error) = await Json.ReadAsync<StockDto>(http);
        if (error is not null) return error;
        if (body!.InStock is not { } inStock) return Problems.Bad("in_stock (true or false) is required");
        return catalog.SetInStock(id, inStock) ? TypedResults.Ok(new StockSet(id, inStock)) : Problems.NotFound($"no catalog item '{id}'");
    }

    private static Results<Ok<SimilarResponse>, ProblemHttpResult> Similar(string id, int? n, RecommendationService service, IOptions<MerxServerOptions> options)
    {
        if (Validate.Id(id, "item id") is { } e) return Problems.Bad(e);
        if (Query.N(n, options.Value.MaxN) is { Error: { } ne }) return ne;
        if (service.Snapshot is not { Ready: true }) return Problems.NotReady("no model published yet (run 'merx train')");
        var result = service.Similar(id, n ?? 10);
        return result is null ? Problems.NotFound($"unknown item '{id}'") : TypedResults.Ok(result);
    }
}

/// <summary>Shared query-string checks.</summary>
internal static class Query
{
    public static (int N, ProblemHttpResult? Error) N(int? n, int max) =>
        n is null ? (10, null) : n < 1 || n > max ? (0, Problems.Bad($"n must be between 1 and {max} (got {n})")) : (n.Value, null);

    public static IReadOnlyList<string> List(string? csv) =>
        string.IsNullOrWhiteSpace(csv) ? [] : csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>How many items a batch inserted or replaced.</summary>
/// <summary>The upsert's answer; <c>suggested_tags</c> (item id → tags) for items sent without tags or category, from the catalog items nearest their text (absent when there is none).</summary>
public sealed record ItemsUpserted(int Upserted, IReadOnlyDictionary<string, string[]>? SuggestedTags = null);

/// <summary>The stock flag an item now has.</summary>
public sealed record StockSet(string Item, bool InStock);
