using Merx.Models.Linalg;
using Merx.Numerics;

namespace Merx.Models.Classic;

/// <summary>Scores = user vectors · item factorsᵀ (+ item bias), through the blocked dot-product kernel.</summary>
internal static unsafe class FactorScoring
{
    /// <summary>scores (b×n) = users (b×k) · items (n×k)ᵀ, plus bias[j] on every row when given.</summary>
    public static void Scores(ReadOnlySpan<float> users, int b, float[] items, float[]? bias, int n, int k, Span<float> scores)
    {
        if (b == 0 || n == 0) return;
        fixed (float* u = users, y = items, s = scores)
            DenseKernels.Abt(u, k, y, k, s, n, b, n, k, 1f, false);
        if (bias is null) return;
        for (var r = 0; r < b; r++)
        {
            var row = scores.Slice(r * n, n);
            System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
        }
    }

    public static float[] RandomMatrix(int rows, int k, float scale, Random rng)
    {
        var m = new float[(long)rows * k];
        for (var i = 0; i < m.Length; i++) m[i] = (float)(Gaussian.Next(rng) * scale);
        return m;
    }
}
