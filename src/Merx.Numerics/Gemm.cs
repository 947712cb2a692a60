namespace Merx.Numerics;

/// <summary>
/// Row-major single-precision matrix products in the three layouts the models need.
/// C (M×N) = A·B, A·Bᵀ or Aᵀ·B, optionally accumulated into C (beta = 1).
/// This file holds the plain reference twins; the fast kernels sit beside them.
/// </summary>
public static partial class Gemm
{
    /// <summary>C(M×N) (+)= A(M×K) · B(K×N).</summary>
    public static void ReferenceAB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        Check(a.Length, m * k, b.Length, k * n, c.Length, m * n);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (var p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
                c[i * n + j] = (float)sum;
            }
    }

    /// <summary>C(M×N) (+)= A(M×K) · B(N×K)ᵀ.</summary>
    public static void ReferenceABt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        Check(a.Length, m * k, b.Length, n * k, c.Length, m * n);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (var p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
                c[i * n + j] = (float)sum;
            }
    }

    /// <summary>C(M×N) (+)= A(K×M)ᵀ · B(K×N).</summary>
    public static void ReferenceAtB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        Check(a.Length, k * m, b.Length, k * n, c.Length, m * n);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (var p = 0; p < k; p++) sum += a[p * m + i] * b[p * n + j];
                c[i * n + j] = (float)sum;
            }
    }

    private static void Check(int aLen, int aNeed, int bLen, int bNeed, int cLen, int cNeed)
    {
        if (aLen < aNeed) throw new ArgumentException($"A has {aLen} elements, needs {aNeed}");
        if (bLen < bNeed) throw new ArgumentException($"B has {bLen} elements, needs {bNeed}");
        if (cLen < cNeed) throw new ArgumentException($"C has {cLen} elements, needs {cNeed}");
    }
}
