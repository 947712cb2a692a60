namespace Merx.Core.Domain;

/// <summary>
/// A catalog item. Only <see cref="Id"/> is required; every other field may be missing, and
/// models treat a missing field as "no evidence" (never as a value of its own): an item with no
/// brand gets no brand feature, an item with no price falls in no price band.
/// </summary>
public sealed record Item
{
    public required string Id { get; init; }
    public string? Title { get; init; }
    public string? Description { get; init; }
    /// <summary>Root-first category path, e.g. ["Beauty", "Skin care", "Serums"]. Empty when unknown.</summary>
    public IReadOnlyList<string> CategoryPath { get; init; } = [];
    public string? Brand { get; init; }
    public string? Shop { get; init; }
    /// <summary>Price in the shop's currency; null when unknown.</summary>
    public double? Price { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Free attributes (name → value). Attribute-only data sets use these.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = EmptyAttributes;
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>
    /// Days after <see cref="CreatedAt"/> that an item counts as new: serving's new-item source offers it, and a model
    /// trained while it has no interactions treats it as a new arrival (an older one was on offer and nobody took it).
    /// </summary>
    public const double NewForDays = 30;
    public bool InStock { get; init; } = true;

    public static IReadOnlyDictionary<string, string> EmptyAttributes { get; } = new Dictionary<string, string>();

    /// <summary>The deepest known category, or null.</summary>
    public string? Category => CategoryPath.Count == 0 ? null : CategoryPath[^1];
}
