using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Merx.Models.Linalg;

/// <summary>
/// The one dense kernel the SPD inverse needs: C (m×n, row stride ldc) = [C +] alpha · A·Bᵀ with
/// A (m×k, stride lda) and B (n×k, stride ldb) both row-major, so every entry is a dot product of
/// two contiguous rows. A 4×2 register tile of 256-bit accumulators over K chunks of 512 floats
/// keeps the six rows it reads (12 KiB) in L1. The plain reference twins are in DenseKernels.Reference.cs.
/// </summary>
internal static unsafe partial class DenseKernels
{
    private const int KChunk = 512;

    public static void Abt(float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, float alpha, bool accumulate)
    {
        if (!accumulate)
            for (var i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
        for (var k0 = 0; k0 < k; k0 += KChunk)
        {
            var kc = Math.Min(KChunk, k - k0);
            var i = 0;
            for (; i + 4 <= m; i += 4)
            {
                var j = 0;
                for (; j + 2 <= n; j += 2) Tile4x2(a + (long)i * lda + k0, lda, b + (long)j * ldb + k0, ldb, c + (long)i * ldc + j, ldc, kc, alpha);
                for (; j < n; j++)
                    for (var r = 0; r < 4; r++)
                        c[(long)(i + r) * ldc + j] += alpha * Dot(a + (long)(i + r) * lda + k0, b + (long)j * ldb + k0, kc);
            }
            for (; i < m; i++)
                for (var j = 0; j < n; j++)
                    c[(long)i * ldc + j] += alpha * Dot(a + (long)i * lda + k0, b + (long)j * ldb + k0, kc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fmadd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : acc + x * y;

    private static void Tile4x2(float* a, int lda, float* b, int ldb, float* c, int ldc, int kc, float alpha)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2L * lda, a3 = a + 3L * lda, b0 = b, b1 = b + ldb;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        var p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var vb0 = Vector256.Load(b0 + p); var vb1 = Vector256.Load(b1 + p);
            var va = Vector256.Load(a0 + p); c00 = Fmadd(va, vb0, c00); c01 = Fmadd(va, vb1, c01);
            va = Vector256.Load(a1 + p); c10 = Fmadd(va, vb0, c10); c11 = Fmadd(va, vb1, c11);
            va = Vector256.Load(a2 + p); c20 = Fmadd(va, vb0, c20); c21 = Fmadd(va, vb1, c21);
            va = Vector256.Load(a3 + p); c30 = Fmadd(va, vb0, c30); c31 = Fmadd(va, vb1, c31);
        }
        float s00 = Vector256.Sum(c00), s01 = Vector256.Sum(c01), s10 = Vector256.Sum(c10), s11 = Vector256.Sum(c11);
        float s20 = Vector256.Sum(c20), s21 = Vector256.Sum(c21), s30 = Vector256.Sum(c30), s31 = Vector256.Sum(c31);
        for (; p < kc; p++)
        {
            float x0 = b0[p], x1 = b1[p];
            s00 += a0[p] * x0; s01 += a0[p] * x1; s10 += a1[p] * x0; s11 += a1[p] * x1;
            s20 += a2[p] * x0; s21 += a2[p] * x1; s30 += a3[p] * x0; s31 += a3[p] * x1;
        }
        c[0] += alpha * s00; c[1] += alpha * s01;
        c[ldc] += alpha * s10; c[ldc + 1] += alpha * s11;
        c[2L * ldc] += alpha * s20; c[2L * ldc + 1] += alpha * s21;
        c[3L * ldc] += alpha * s30; c[3L * ldc + 1] += alpha * s31;
    }

    public static float Dot(float* x, float* y, int k)
    {
        Vector256<float> acc = default;
        var p = 0;
        for (; p + 8 <= k; p += 8) acc = Fmadd(Vector256.Load(x + p), Vector256.Load(y + p), acc);
        var s = Vector256.Sum(acc);
        for (; p < k; p++) s += x[p] * y[p];
        return s;
    }

    /// <summary>Runs body(0..count-1) on all cores, handing out indices in order (dynamic load balance).</summary>
    public static void ParallelFor(int count, Action<int> body)
    {
        var next = -1;
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, count));
        Parallel.For(0, workers, _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) body(i);
        });
    }
}
