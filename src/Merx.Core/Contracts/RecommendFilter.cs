namespace Merx.Core.Contracts;

/// <summary>
/// Which items a recommendation may contain. Filters are parameters of Recommend, never extra
/// methods: exclude the user's history, exclude explicit items, restrict to an allowed set (for
/// example one category's items).
/// </summary>
public sealed record RecommendFilter
{
    public bool ExcludeSeen { get; init; } = true;
    public IReadOnlyCollection<int> ExcludeItems { get; init; } = [];
    /// <summary>When set, only these items may be returned.</summary>
    public IReadOnlySet<int>? AllowedItems { get; init; }

    public static RecommendFilter Default { get; } = new();
    public static RecommendFilter None { get; } = new() { ExcludeSeen = false };

    /// <summary>Sets the score of every item this filter forbids to −∞.</summary>
    public void Apply(ReadOnlySpan<int> history, Span<float> scores)
    {
        if (ExcludeSeen)
            foreach (var i in history)
                if ((uint)i < (uint)scores.Length) scores[i] = float.NegativeInfinity;
        foreach (var i in ExcludeItems)
            if ((uint)i < (uint)scores.Length) scores[i] = float.NegativeInfinity;
        if (AllowedItems is { } allowed)
            for (var i = 0; i < scores.Length; i++)
                if (!allowed.Contains(i)) scores[i] = float.NegativeInfinity;
    }
}
