using System.Globalization;

namespace Merx.Core.Import;

/// <summary>The validation every importer applies to ids, timestamps and numbers, with the reason text it reports.</summary>
public static class FieldRules
{
    public const int MaxIdLength = 256;
    /// <summary>2100-01-01T00:00:00Z: later timestamps are treated as corrupt.</summary>
    public const long MaxTimestamp = 4_102_444_800;

    /// <summary>Null when the id is acceptable, else why not.</summary>
    public static string? CheckId(ReadOnlySpan<char> id, string what)
    {
        if (id.IsEmpty || id.IsWhiteSpace()) return $"empty {what} id";
        if (id.Length > MaxIdLength) return $"{what} id longer than {MaxIdLength} characters";
        foreach (var c in id)
            if (char.IsControl(c)) return $"{what} id contains a control character";
        return null;
    }

    /// <summary>
    /// Parses unix seconds, unix milliseconds (values above 1e11 are divided by 1000) or an ISO 8601
    /// date-time (UTC unless it says otherwise). Null reason on success.
    /// </summary>
    public static string? ParseTimestamp(ReadOnlySpan<char> text, out long seconds)
    {
        seconds = 0;
        text = text.Trim();
        if (text.IsEmpty) return "missing timestamp";
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            seconds = n > 100_000_000_000 ? n / 1000 : n;
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            seconds = (long)(d > 1e11 ? d / 1000 : d);
        else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto))
            seconds = dto.ToUnixTimeSeconds();
        else
            return $"unparsable timestamp '{Clip(text)}'";
        if (seconds < 0 || seconds > MaxTimestamp) return $"timestamp {seconds} out of range (0 … year 2100)";
        return null;
    }

    /// <summary>A finite, non-negative number (empty → 0). Null reason on success.</summary>
    public static string? ParseValue(ReadOnlySpan<char> text, string what, out float value)
    {
        value = 0;
        text = text.Trim();
        if (text.IsEmpty) return null;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || !float.IsFinite(value))
            return $"{what} '{Clip(text)}' is not a finite number";
        if (value < 0) return $"{what} {value} is negative";
        return null;
    }

    public static string Clip(ReadOnlySpan<char> text) => text.Length <= 40 ? text.ToString() : text[..40].ToString() + "…";
}
