namespace Merx.Numerics.Tests;

public class GemmTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (var i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        int[] sizes = [0, 1, 7, 16, 17, 33, 64, 65];
        foreach (var m in sizes)
            foreach (var k in sizes)
                foreach (var n in sizes)
                    if ((m + k + n) % 3 == 0 || m == 0 || n == 64) data.Add(m, k, n);
        data.Add(127, 64, 129);
        data.Add(300, 64, 1001);   // logits-like: H·Eᵀ
        data.Add(200, 700, 64);    // dH-like: dLogits·E (K > one K block)
        data.Add(6, 256, 32);      // exactly one register tile and one K block
        data.Add(13, 255, 97);     // odd sizes up to 256 around the K block and panel edges
        data.Add(250, 257, 31);
        data.Add(256, 256, 256);
        data.Add(162, 64, 1001);   // one logits chunk: several panels per core
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllLayouts_MatchReference(int m, int k, int n)
    {
        var tol = 1e-4f * MathF.Max(1, MathF.Sqrt(k));
        foreach (var accumulate in new[] { false, true })
        {
            var a = Random(m * k, 1); var b = Random(k * n, 2); var bt = Random(n * k, 3); var at = Random(k * m, 4);
            var c0 = Random(m * n, 5);
            var expect = (float[])c0.Clone(); var got = (float[])c0.Clone();
            Gemm.ReferenceAB(a, b, expect, m, k, n, accumulate); Gemm.AB(a, b, got, m, k, n, accumulate);
            AssertClose(expect, got, tol, "AB");
            expect = (float[])c0.Clone(); got = (float[])c0.Clone();
            Gemm.ReferenceABt(a, bt, expect, m, k, n, accumulate); Gemm.ABt(a, bt, got, m, k, n, accumulate);
            AssertClose(expect, got, tol, "ABt");
            expect = (float[])c0.Clone(); got = (float[])c0.Clone();
            Gemm.ReferenceAtB(at, b, expect, m, k, n, accumulate); Gemm.AtB(at, b, got, m, k, n, accumulate);
            AssertClose(expect, got, tol, "AtB");
        }
    }

    [Fact]
    public void SingleThreaded_EqualsParallel()
    {
        var a = Random(500 * 64, 1); var b = Random(64 * 900, 2);
        var c1 = new float[500 * 900]; var c2 = new float[500 * 900];
        Gemm.AB(a, b, c1, 500, 64, 900);
        var keep = Gemm.MaxDegreeOfParallelism;
        try { Gemm.MaxDegreeOfParallelism = 1; Gemm.AB(a, b, c2, 500, 64, 900); }
        finally { Gemm.MaxDegreeOfParallelism = keep; }
        Assert.Equal(c1, c2);
    }

    /// <summary>
    /// Fewer rows than the register tile (a serving request's one sequence) run a vector row kernel that must round
    /// each element exactly as the plain float loop c += a·b does (no fused multiply-add): trained weights and
    /// published figures stay bit for bit what they were before that kernel. Within one K block (k ≤ 256).
    /// </summary>
    [Theory]
    [InlineData(1, 64, 64)]
    [InlineData(5, 64, 200)]
    [InlineData(3, 256, 31)]
    [InlineData(2, 17, 65)]
    public void RowsBelowTheTile_RoundAsThePlainFloatLoop(int m, int k, int n)
    {
        var a = Random(m * k, 7); var b = Random(k * n, 8); var bt = Random(n * k, 9);
        var got = new float[m * n]; var gotT = new float[m * n];
        Gemm.AB(a, b, got, m, k, n); Gemm.ABt(a, bt, gotT, m, k, n);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                float s = 0, st = 0;
                for (var p = 0; p < k; p++) { s += a[i * k + p] * b[p * n + j]; st += a[i * k + p] * bt[j * k + p]; }
                Assert.Equal(BitConverter.SingleToInt32Bits(s), BitConverter.SingleToInt32Bits(got[i * n + j]));
                Assert.Equal(BitConverter.SingleToInt32Bits(st), BitConverter.SingleToInt32Bits(gotT[i * n + j]));
            }
    }

    [Fact]
    public void TooShortBuffers_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.AB(new float[5], new float[6], new float[4], 2, 3, 2));
    }

    private static void AssertClose(float[] expect, float[] got, float tol, string what)
    {
        for (var i = 0; i < expect.Length; i++)
            Assert.True(MathF.Abs(expect[i] - got[i]) <= tol * (1 + MathF.Abs(expect[i])), $"{what}[{i}]: expected {expect[i]}, got {got[i]}");
    }
}
