using System.Numerics.Tensors;
using Merx.Core.Contracts;

namespace Merx.Models.Classic;

internal static class FactorSimilarity
{
    /// <summary>Top-n items by cosine between rows of an (n×k) factor matrix, the item itself excluded.</summary>
    public static ScoredItem[] Cosine(float[] factors, int n, int k, int item, int top)
    {
        if ((uint)item >= (uint)n) return [];
        var q = factors.AsSpan(item * k, k);
        var scores = new float[n];
        for (var j = 0; j < n; j++)
        {
            var y = factors.AsSpan(j * k, k);
            var norm = TensorPrimitives.Norm(q) * TensorPrimitives.Norm(y);
            scores[j] = norm > 0 ? TensorPrimitives.Dot(q, y) / norm : 0;
        }
        return ClassicHelpers.TopExcluding(scores, item, top);
    }
}
