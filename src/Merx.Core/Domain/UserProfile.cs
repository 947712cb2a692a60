namespace Merx.Core.Domain;

/// <summary>A user as the store keeps them: an id (pseudonymized at the door) and optional coarse attributes.</summary>
public sealed record UserProfile
{
    public required string Id { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = Item.EmptyAttributes;
}
