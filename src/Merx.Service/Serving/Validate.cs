using System.Text.Json;
using Merx.Core.Domain;

namespace Merx.Service.Serving;

/// <summary>
/// Validation of everything that comes over HTTP. Each check returns the field's problem or null;
/// a batch collects every problem (with its index) and is rejected as a whole, so nothing of a
/// bad batch is written.
/// </summary>
public static class Validate
{
    public const int MaxIdLength = 256;
    public const int MaxTextLength = 4096;

    public static string? Id(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value)) return $"{what} is required";
        if (value.Length > MaxIdLength) return $"{what} is longer than {MaxIdLength} characters";
        if (value.Any(char.IsControl)) return $"{what} contains control characters";
        return HasLoneSurrogate(value) ? $"{what} is not valid Unicode (lone surrogate)" : null;
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i])) { if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return true; i++; }
            else if (char.IsLowSurrogate(s[i])) return true;
        }
        return false;
    }

    public static string? Text(string? value, string what, int max = MaxTextLength) =>
        value is null ? null : value.Length > max ? $"{what} is longer than {max} characters" : HasLoneSurrogate(value) ? $"{what} is not valid Unicode (lone surrogate)" : null;

    /// <summary>Unix seconds (number; milliseconds are recognised above 1e11) or an ISO 8601 string; null → now. Rejects the far future.</summary>
    public static (long Seconds, string? Error) Timestamp(JsonElement? value, long now)
    {
        if (value is null || value.Value.ValueKind == JsonValueKind.Null) return (now, null);
        long seconds;
        switch (value.Value.ValueKind)
        {
            case JsonValueKind.Number when value.Value.TryGetInt64(out var n):
                seconds = n > 100_000_000_000 ? n / 1000 : n; break;
            case JsonValueKind.Number when value.Value.TryGetDouble(out var d) && double.IsFinite(d):
                seconds = (long)(d > 1e11 ? d / 1000 : d); break;
            case JsonValueKind.String when DateTimeOffset.TryParse(value.Value.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t):
                seconds = t.ToUnixTimeSeconds(); break;
            default:
                return (0, "timestamp must be unix seconds, unix milliseconds or an ISO 8601 string");
        }
        if (seconds < 0) return (0, "timestamp must not be negative");
        if (seconds > now + 86400) return (0, "timestamp is more than a day in the future");
        return (seconds, null);
    }

    public static (RawEvent Event, List<string> Errors) Event(EventDto? dto, long now)
    {
        var errors = new List<string>();
        if (dto is null) { errors.Add("event must be an object"); return (default, errors); }
        if (Id(dto.User, "user") is { } u) errors.Add(u);
        EventKind kind = default;
        if (string.IsNullOrWhiteSpace(dto.Kind)) errors.Add("kind is required");
        else if (!EventKinds.TryParse(dto.Kind, out kind)) errors.Add($"unknown event kind '{Clip(dto.Kind)}' (expected one of: {string.Join(", ", EventKinds.All.Select(k => k.ToWireName()))})");
        if (kind != EventKind.Search || dto.Item is not null)
            if (Id(dto.Item, "item") is { } i) errors.Add(kind == EventKind.Search ? i : i + " (only search events may omit it)");
        if (kind == EventKind.Search && string.IsNullOrWhiteSpace(dto.Query) && dto.Item is null) errors.Add("a search event needs a query");
        var (ts, tsError) = Timestamp(dto.Timestamp, now);
        if (tsError is not null) errors.Add(tsError);
        if (dto.Value is { } v && (!double.IsFinite(v) || Math.Abs(v) > 1e9)) errors.Add("value must be a finite number of magnitude ≤ 1e9");
        if (Text(dto.Session, "session", MaxIdLength) is { } s) errors.Add(s);
        if (Text(dto.Query, "query", 1024) is { } q) errors.Add(q);
        if (Platforms.Problem(dto.Platform) is { } p) errors.Add(p);
        if (errors.Count > 0) return (default, errors);
        return (new RawEvent(dto.User!, dto.Item, kind, ts, (float)(dto.Value ?? 0), dto.Session, dto.Query, dto.Platform), errors);
    }

    public static (Item? Item, List<string> Errors) Item(ItemDto? dto)
    {
        var errors = new List<string>();
        if (dto is null) { errors.Add("item must be an object"); return (null, errors); }
        if (Id(dto.Id, "id") is { } e) errors.Add(e);
        foreach (var (v, what) in new[] { (dto.Title, "title"), (dto.Brand, "brand"), (dto.Shop, "shop") })
            if (Text(v, what, 512) is { } t) errors.Add(t);
        if (Text(dto.Description, "description", 20_000) is { } d) errors.Add(d);
        if (dto.Price is { } p && (!double.IsFinite(p) || p < 0 || p > 1e9)) errors.Add("price must be a finite number between 0 and 1e9");
        IReadOnlyList<string> path = [];
        if (dto.Category is { } c)
        {
            if (c.ValueKind == JsonValueKind.String) path = (c.GetString() ?? "").Split(['>', '/'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            else if (c.ValueKind == JsonValueKind.Array && c.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
                path = c.EnumerateArray().Select(x => x.GetString()!.Trim()).Where(x => x.Length > 0).ToArray();
            else if (c.ValueKind != JsonValueKind.Null) errors.Add("category must be a string (\"A > B > C\") or an array of strings");
            if (path.Count > 10 || path.Any(x => x.Length > 200)) errors.Add("category path is too deep or too long");
        }
        if (dto.Tags is { } tags && (tags.Count > 100 || tags.Any(t => t is null || t.Length > 200))) errors.Add("tags: at most 100 non-null strings of ≤ 200 characters");
        if (dto.Attributes is { } attrs && (attrs.Count > 100 || attrs.Any(a => a.Key.Length > 200 || a.Value is null || a.Value.Length > 1000))) errors.Add("attributes: at most 100 entries, keys ≤ 200 and non-null values ≤ 1000 characters");
        if (errors.Count > 0) return (null, errors);
        return (new Item
        {
            Id = dto.Id!, Title = dto.Title, Description = dto.Description, CategoryPath = path, Brand = dto.Brand, Shop = dto.Shop,
            Price = dto.Price, Tags = dto.Tags ?? [], Attributes = dto.Attributes ?? Core.Domain.Item.EmptyAttributes,
            CreatedAt = dto.CreatedAt, InStock = dto.InStock ?? true,
        }, errors);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
