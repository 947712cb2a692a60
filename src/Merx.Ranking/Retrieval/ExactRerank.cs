using System.Numerics.Tensors;
using Merx.Core.Contracts;

namespace Merx.Ranking.Retrieval;

/// <summary>The float vector (d) of an item for the exact re-rank; empty when the index has none for it.</summary>
internal delegate ReadOnlySpan<float> RowOf(int item);

/// <summary>The one exact re-rank of an index's candidates: float inner products, best k kept (ties: lower item first).</summary>
internal static class ExactRerank
{
    public static ScoredItem[] Top(IReadOnlyList<ScoredItem> candidates, ReadOnlySpan<float> query, int k, RowOf row)
    {
        var best = new TopKHeap(Math.Min(k, candidates.Count));
        foreach (var c in candidates)
        {
            var v = row(c.Item);
            if (v.Length == query.Length) best.Offer(c.Item, TensorPrimitives.Dot(v, query));
        }
        return best.ToSortedArray();
    }
}
