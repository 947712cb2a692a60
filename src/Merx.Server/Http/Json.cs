using System.Text.Json;
using Merx.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Merx.Server.Http;

/// <summary>Reading request bodies as JSON (<see cref="WireJson"/>: snake_case names, no nulls written, strict numbers).</summary>
public static class Json
{
    public static JsonSerializerOptions Options => WireJson.Options;

    public static JsonSerializerOptions Configure(JsonSerializerOptions o) => WireJson.Configure(o);

    /// <summary>
    /// Reads the request body as <typeparamref name="T"/>; on failure returns a 400 problem that says
    /// where the JSON is wrong (the body size limit is Kestrel's, answered with 413).
    /// </summary>
    public static async Task<(T? Value, ProblemHttpResult? Error)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (request.ContentType is { } ct && !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !ct.Contains("+json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", "send the body as application/json"));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, request.HttpContext.RequestAborted);
            return value is null ? (null, Problems.Bad("the body is empty or null; expected a JSON object")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } p ? $" at {p}" : "";
            var line = e.LineNumber is { } l ? $" (line {l + 1}, byte {e.BytePositionInLine + 1})" : "";
            return (null, Problems.Bad($"malformed JSON{where}{line}: {FirstSentence(e.Message)}"));
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own verdict on the body: too large (413), or the client sent less than it declared or stopped
            // sending (a closed connection, a body timeout). The client's fault, answered with Kestrel's status and
            // not logged as a server error with a stack trace.
            var title = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request body too large" : "request body unreadable";
            return (null, Problems.Status(e.StatusCode, title, e.Message));
        }
    }

    /// <summary>
    /// Reads a body that is either one object or <c>{"<paramref name="property"/>": [...]}</c> (the
    /// single and the batch form of the same endpoint), checking the batch size against <paramref name="maxBatch"/>.
    /// </summary>
    public static async Task<(IReadOnlyList<T?> Values, ProblemHttpResult? Error)> ReadOneOrManyAsync<T>(HttpRequest request, string property, int maxBatch) where T : class
    {
        var (doc, error) = await ReadAsync<JsonDocument>(request);
        if (error is not null) return ([], error);
        using var owned = doc!;
        var root = owned.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return ([], Problems.Bad($"expected a JSON object: one entry, or {{\"{property}\": [...]}}"));
        IReadOnlyList<T?> values;
        try
        {
            if (root.TryGetProperty(property, out var list))
            {
                if (list.ValueKind != JsonValueKind.Array) return ([], Problems.Bad($"\"{property}\" must be an array"));
                if (root.EnumerateObject().Count() > 1) return ([], Problems.Bad($"a batch has only the \"{property}\" property"));
                values = list.Deserialize<List<T?>>(Options)!;
            }
            else values = [root.Deserialize<T>(Options)];
        }
        catch (JsonException e)
        {
            return ([], Problems.Bad($"malformed entry{(e.Path is { Length: > 1 } p ? " at " + p : "")}: {FirstSentence(e.Message)}"));
        }
        if (values.Count == 0) return ([], Problems.Bad($"no entries in \"{property}\""));
        if (values.Count > maxBatch)
            return ([], Problems.Status(StatusCodes.Status413PayloadTooLarge, "batch too large", $"{values.Count:N0} entries in one request; at most {maxBatch:N0} (split the batch)"));
        return (values, null);
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
