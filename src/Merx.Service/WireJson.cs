using System.Text.Json;
using System.Text.Json.Serialization;

namespace Merx.Service;

/// <summary>JSON as Merx writes it, on the wire and in stored state: snake_case names, no nulls written, strict numbers.</summary>
public static class WireJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        o.NumberHandling = JsonNumberHandling.Strict;
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        o.AllowTrailingCommas = false;
        o.MaxDepth = 16;
        return o;
    }
}
