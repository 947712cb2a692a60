namespace Merx.Core.Contracts;

/// <summary>An item index with the model's score for it (higher is better).</summary>
public readonly record struct ScoredItem(int Item, float Score);
