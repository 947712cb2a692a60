using System.Globalization;
using System.Text.Json;

namespace Merx.Core.Import;

/// <summary>One record of a generic file, CSV row or JSON object, read by field name.</summary>
internal interface IFieldRow
{
    /// <summary>The field as text; null when absent or empty.</summary>
    string? Text(string name);
    /// <summary>The field as a list: a JSON array, or text split on <paramref name="separator"/>.</summary>
    IReadOnlyList<string>? List(string name, char separator);
    /// <summary>Every field not in <paramref name="except"/>, as name → text (objects flattened one level for "attributes").</summary>
    IEnumerable<KeyValuePair<string, string>> Others(ISet<string> except);
    IEnumerable<KeyValuePair<string, string>> Object(string name);
}

internal sealed class CsvRow(string[] header, List<string> fields) : IFieldRow
{
    public string? Text(string name)
    {
        for (var i = 0; i < header.Length; i++)
            if (string.Equals(header[i], name, StringComparison.OrdinalIgnoreCase))
                return string.IsNullOrWhiteSpace(fields[i]) ? null : fields[i].Trim();
        return null;
    }

    public IReadOnlyList<string>? List(string name, char separator) =>
        Text(name)?.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<KeyValuePair<string, string>> Others(ISet<string> except)
    {
        for (var i = 0; i < header.Length; i++)
            if (!except.Contains(header[i]) && !string.IsNullOrWhiteSpace(fields[i]))
                yield return new(header[i], fields[i].Trim());
    }

    public IEnumerable<KeyValuePair<string, string>> Object(string name) => [];
}

internal sealed class JsonRow(JsonElement obj) : IFieldRow
{
    public string? Text(string name)
    {
        if (!TryGet(name, out var v)) return null;
        var s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
        return string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    }

    public IReadOnlyList<string>? List(string name, char separator)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Array)
            return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).Where(s => s.Length > 0).ToArray();
        return Text(name)?.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public IEnumerable<KeyValuePair<string, string>> Others(ISet<string> except)
    {
        foreach (var p in obj.EnumerateObject())
            if (!except.Contains(p.Name) && p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                yield return new(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
    }

    public IEnumerable<KeyValuePair<string, string>> Object(string name)
    {
        if (!TryGet(name, out var v) || v.ValueKind != JsonValueKind.Object) yield break;
        foreach (var p in v.EnumerateObject())
            yield return new(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
    }

    private bool TryGet(string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null) return true;
        foreach (var p in obj.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind != JsonValueKind.Null) { value = p.Value; return true; }
        return false;
    }
}
