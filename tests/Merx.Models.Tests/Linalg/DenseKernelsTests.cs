using Merx.Models.Linalg;

namespace Merx.Models.Tests.Linalg;

/// <summary>The AVX2 kernels of <see cref="DenseKernels"/> against their scalar twins (issue 17).</summary>
public sealed unsafe class DenseKernelsTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (var i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    // float accumulation over k terms of size ≤ 1: error grows like √k·ε·k at worst; 1e-5·(1 + k) is 10× that at k = 256
    private static float Tolerance(int k) => 1e-5f * (1 + k);

    [Fact]
    public void Dot_MatchesReference_AtEveryLength0To256()
    {
        for (var k = 0; k <= 256; k++)
        {
            var x = Random(k, 1000 + k); var y = Random(k, 2000 + k);
            float got;
            fixed (float* px = x, py = y) got = DenseKernels.Dot(px, py, k);
            Assert.True(MathF.Abs(DenseKernels.ReferenceDot(x, y, k) - got) <= Tolerance(k), $"k = {k}: {got} vs {DenseKernels.ReferenceDot(x, y, k)}");
        }
    }

    public static TheoryData<int, int> Shapes() => new() { { 0, 0 }, { 1, 1 }, { 4, 2 }, { 5, 3 }, { 7, 9 }, { 8, 8 }, { 13, 6 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Abt_MatchesReference_AtEveryK0To256(int m, int n)
    {
        for (var k = 0; k <= 256; k++) AssertAbt(m, n, k, seed: k);
    }

    [Theory]
    [InlineData(5, 3, 511)]
    [InlineData(6, 5, 512)]
    [InlineData(9, 7, 513)]   // the second K chunk, one element long
    [InlineData(4, 2, 1100)]
    public void Abt_MatchesReference_AcrossKChunks(int m, int n, int k) => AssertAbt(m, n, k, seed: 7);

    private static void AssertAbt(int m, int n, int k, int seed)
    {
        // padded strides, so the kernel must honour lda/ldb/ldc rather than assume packed rows
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        var a = Random(m * lda, seed); var b = Random(n * ldb, seed + 1);
        foreach (var accumulate in new[] { false, true })
        {
            var c0 = Random(m * ldc, seed + 2);
            var expect = (float[])c0.Clone(); var got = (float[])c0.Clone();
            DenseKernels.ReferenceAbt(a, lda, b, ldb, expect, ldc, m, n, k, 0.75f, accumulate);
            fixed (float* pa = a, pb = b, pc = got) DenseKernels.Abt(pa, lda, pb, ldb, pc, ldc, m, n, k, 0.75f, accumulate);
            for (var i = 0; i < expect.Length; i++)
                Assert.True(MathF.Abs(expect[i] - got[i]) <= Tolerance(k), $"m={m} n={n} k={k} accumulate={accumulate} at {i}: {got[i]} vs {expect[i]}");
        }
    }
}
