using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// Shares equal catalog values among the items of one bulk read (a catalog or data set load). A shop's items
/// repeat a few hundred category paths, tag lists and attribute maps and some thousands of brands and shops: at
/// 1M items each holding its own copies, those copies were about 11 million objects and 0.8 GB of a serving
/// process's heap (measured with <c>dotnet-dump</c>, see bench/results/serving-scale.md). Values are keyed by their
/// stored text, so an equal text yields the same instance. The shared lists and maps are never mutated by Merx
/// (an <see cref="Item"/> exposes them read-only). Each kind keeps at most <see cref="MaxValues"/> distinct values:
/// beyond that a column is mostly unique (titles would be), and the rest are read unshared.
/// </summary>
internal sealed class CatalogValuePool
{
    /// <summary>Distinct values kept per kind.</summary>
    public const int MaxValues = 1 << 17;

    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _attributes = new(StringComparer.Ordinal);

    /// <summary>The shared instance of <paramref name="value"/>.</summary>
    public string? Text(string? value)
    {
        if (value is null) return null;
        if (_texts.TryGetValue(value, out var shared)) return shared;
        if (_texts.Count < MaxValues) _texts.Add(value, value);
        return value;
    }

    /// <summary>The list stored as <paramref name="json"/> (<see cref="StoreJson.List"/>), its elements shared too.</summary>
    public string[] List(string? json)
    {
        if (json is null) return [];
        if (_lists.TryGetValue(json, out var shared)) return shared;
        var list = StoreJson.ReadList(json);
        for (var i = 0; i < list.Length; i++) list[i] = Text(list[i])!;
        if (_lists.Count < MaxValues) _lists.Add(json, list);
        return list;
    }

    /// <summary>The attribute map stored as <paramref name="json"/> (<see cref="StoreJson.Attributes"/>), names and values shared too.</summary>
    public IReadOnlyDictionary<string, string> Attributes(string? json)
    {
        if (json is null) return Item.EmptyAttributes;
        if (_attributes.TryGetValue(json, out var shared)) return shared;
        var read = StoreJson.ReadAttributes(json);
        var map = new Dictionary<string, string>(read.Count, StringComparer.Ordinal);
        foreach (var (name, value) in read) map[Text(name)!] = Text(value)!;
        if (_attributes.Count < MaxValues) _attributes.Add(json, map);
        return map;
    }
}
