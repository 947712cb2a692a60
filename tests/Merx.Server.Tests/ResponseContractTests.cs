using System.Net;
using System.Text.Json;

namespace Merx.Server.Tests;

/// <summary>
/// Issue 17: the endpoints return named response records through typed results, so the OpenAPI
/// document describes every response body, and the records write exactly the wire names the
/// anonymous objects wrote before (snake_case, nulls left out).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ResponseContractTests(ShopStore shop)
{
    [Fact]
    public async Task OpenApi_document_has_a_json_response_schema_for_every_endpoint_that_answers_with_a_body()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        using var doc = JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json"));
        var missing = new List<string>();
        var operations = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject())
            {
                operations++;
                var success = op.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')).ToArray();
                if (success.Length != 1) { missing.Add($"{op.Name} {path.Name}: {success.Length} success responses"); continue; }
                if (success[0].Name == "204") continue;
                if (!success[0].Value.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json) || !json.TryGetProperty("schema", out _))
                    missing.Add($"{op.Name} {path.Name} {success[0].Name}: no application/json schema");
            }
        Assert.Empty(missing);
        Assert.Equal(33, operations); // the /api endpoints; health, metrics and the dashboard's page and assets are left out of the document
    }

    [Theory]
    [InlineData("/api/users/{id}/recommendations", "get", "200", "items,recommendation_id,path,model,exploration_rate,session_share,elapsed_ms,stages,variant")]
    [InlineData("/api/users/{id}/profile", "get", "200", "categories,brands,shops,price_bands,activity,first_seen,last_seen,days_since_last_event,events,platforms,linked_ids")]
    [InlineData("/api/users/{id}/links", "post", "200", "user,other,linked_ids")]
    [InlineData("/api/users/{id}/links", "delete", "200", "user,was_linked_to")]
    [InlineData("/api/users/{id}", "delete", "200", "user,events_removed")]
    [InlineData("/api/users/{id}", "put", "200", "user,pseudonym,attributes,scrubbed_fields,dropped,masked")]
    [InlineData("/api/segments", "get", "200", "attribute,k,segments,suppressed,suppressed_below_k,suppressed_secondary,privacy")]
    [InlineData("/api/models", "get", "200", "models,snapshot_built_at,catalog_items")]
    [InlineData("/api/models/train", "post", "202", "running,models,started_at,finished_at,last_message,error,published")]
    [InlineData("/api/items/{id}/stock", "put", "200", "item,in_stock")]
    [InlineData("/api/items/{id}/image", "put", "202", "item,image_hash,encoder")]
    [InlineData("/api/experiments", "post", "201", "id,metric,base_rate,created_at,stopped_at,running,verdict,variants,sample_ratio,comparisons")]
    [InlineData("/api/experiments/{id}/stop", "post", "200", "id,stopped")]
    [InlineData("/api/dashboard/status", "get", "200", "experiments,privacy,auth")]
    [InlineData("/api/trust/surge", "get", "200", "primed,options,report")]
    public async Task OpenApi_response_schema_names_the_wire_properties(string path, string method, string status, string properties)
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        using var doc = JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json"));
        var schema = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty(status)
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        if (schema.TryGetProperty("$ref", out var reference))
            schema = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..]);
        Assert.Equal(properties.Split(','), schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Converted_responses_keep_their_exact_json()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("contract.db"));
        var item = app.Host.Current!.Catalog.Item(0)!.Id;
        Assert.Equal("""{"item":"%","in_stock":false}""".Replace("%", item),
            await Text(app, app.Write(HttpMethod.Put, $"/api/items/{item}/stock", new { in_stock = false }), HttpStatusCode.OK));

        var events = new { events = new[] { new { user = "contract-u1", item, kind = "view" }, new { user = "contract-u1", item, kind = "click" } } };
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(app.Write(HttpMethod.Post, "/api/events", events))).Status);
        Assert.Equal("""{"user":"contract-u1","events_removed":2}""", await Text(app, app.Write(HttpMethod.Delete, "/api/users/contract-u1"), HttpStatusCode.OK));

        // No experiment is running, no key rotation is in progress and the served models are not private:
        // running, key_rotation and epsilon_spent are left out, not written as null.
        using var status = JsonDocument.Parse(await Text(app, app.Write(HttpMethod.Get, "/api/dashboard/status"), HttpStatusCode.OK));
        var root = status.RootElement;
        Assert.Equal(["experiments", "privacy", "auth"], Names(root));
        Assert.Equal(["defined", "untagged_feedback", "tagged_feedback"], Names(root.GetProperty("experiments")));
        Assert.Equal(["pseudonymization", "pseudonymization_note", "key_fingerprint", "k_anonymity", "segments_note", "differential_privacy", "epsilon_note", "served_models", "user_deletion"],
            Names(root.GetProperty("privacy")));
        Assert.Equal(["role", "name", "version", "differential_privacy"], Names(root.GetProperty("privacy").GetProperty("served_models")[0]));
    }

    private static string[] Names(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();

    private static async Task<string> Text(MerxTestApp app, HttpRequestMessage request, HttpStatusCode expected)
    {
        using var response = await app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return text;
    }
}
