using Merx.Core.Contracts;

namespace Merx.Ranking.Retrieval;

/// <summary>An item's exact score for the query (its model vector · query); NaN when the index has no vector for it.</summary>
internal delegate float ExactDot(int item, ReadOnlySpan<float> query);

/// <summary>The one exact re-rank of an index's candidates: the model's own inner products, best k kept (ties: lower item first).</summary>
internal static class ExactRerank
{
    public static ScoredItem[] Top(IReadOnlyList<ScoredItem> candidates, ReadOnlySpan<float> query, int k, ExactDot dot)
    {
        var best = new TopKHeap(Math.Min(k, candidates.Count));
        foreach (var c in candidates) best.Offer(c.Item, dot(c.Item, query));   // NaN never enters
        return best.ToSortedArray();
    }
}
