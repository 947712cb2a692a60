namespace Merx.Models.Linalg;

/// <summary>
/// The plain scalar twins of the fast kernels beside them: the same contract, one loop per index,
/// sums in double. They define what the fast kernels must compute (tests compare the two at every
/// K from 0 to 256 and across the K chunk) and are never on a hot path.
/// </summary>
internal static partial class DenseKernels
{
    /// <summary>
    /// C (m×n, row stride ldc) = [C +] alpha · A·Bᵀ with A (m×k, stride lda) and B (n×k, stride ldb),
    /// row-major; the reference of <see cref="Abt"/>.
    /// </summary>
    public static void ReferenceAbt(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, float alpha, bool accumulate)
    {
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var p = 0; p < k; p++) sum += (double)a[i * lda + p] * b[j * ldb + p];
                var cij = accumulate ? c[i * ldc + j] : 0f;
                c[i * ldc + j] = (float)(cij + alpha * sum);
            }
    }

    /// <summary>Σ x[p]·y[p] over the first k entries; the reference of <see cref="Dot"/>.</summary>
    public static float ReferenceDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int k)
    {
        var sum = 0.0;
        for (var p = 0; p < k; p++) sum += (double)x[p] * y[p];
        return (float)sum;
    }
}
