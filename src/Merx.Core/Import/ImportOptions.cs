namespace Merx.Core.Import;

/// <summary>How an import treats bad lines and how generic files name their columns.</summary>
public sealed record ImportOptions
{
    /// <summary>Abort at the first bad line (nothing is stored) instead of skipping and counting it.</summary>
    public bool Strict { get; init; }

    /// <summary>How many problems (file, line, reason) the report keeps verbatim; all are counted.</summary>
    public int MaxReportedProblems { get; init; } = 10;

    /// <summary>Canonical column name (user, item, kind, timestamp, value, session, query, platform, id, …) → the file's column name.</summary>
    public IReadOnlyDictionary<string, string> ColumnMapping { get; init; } = new Dictionary<string, string>();

    /// <summary>Field separator of generic CSV files.</summary>
    public char Delimiter { get; init; } = ',';

    public static ImportOptions Default { get; } = new();

    /// <summary>Parses "user=customer_id,item=sku,kind=event_type,timestamp=ts".</summary>
    public static IReadOnlyDictionary<string, string> ParseMapping(string spec)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1) throw new FormatException($"column mapping '{part}' is not canonical=column");
            map[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        return map;
    }

    /// <summary>The file's name for a canonical column.</summary>
    public string ColumnFor(string canonical) => ColumnMapping.TryGetValue(canonical, out var name) ? name : canonical;
}
