using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Merx.Numerics;

/// <summary>
/// The fast kernels. One blocked core computes C(M×N) (+)= A·B where A is read through strides
/// (so Aᵀ costs nothing) and B is packed into zero-padded panels of <see cref="NR"/> columns; Bᵀ
/// is handled by packing from the transposed layout. A 6×32 register tile of Vector512
/// accumulators (Vector256 pairs where AVX-512 is missing) runs over each K block; rows are split
/// across cores when the product is large enough to pay for it.
/// </summary>
public static partial class Gemm
{
    private const int MR = 6;
    private const int NR = 32;
    private const int KC = 256;
    private const long ParallelFlops = 2_000_000;

    /// <summary>Cores a large product may use (1 = single-threaded).</summary>
    public static int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    [ThreadStatic] private static float[]? _panel;

    public static void AB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        Check(a.Length, m * k, b.Length, k * n, c.Length, m * n);
        Run(a, k, 1, b, transB: false, c, m, k, n, accumulate);
    }

    public static void ABt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        Check(a.Length, m * k, b.Length, n * k, c.Length, m * n);
        Run(a, k, 1, b, transB: true, c, m, k, n, accumulate);
    }

    public static void AtB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        Check(a.Length, k * m, b.Length, k * n, c.Length, m * n);
        Run(a, 1, m, b, transB: false, c, m, k, n, accumulate);
    }

    private static unsafe void Run(ReadOnlySpan<float> a, int ars, int acs, ReadOnlySpan<float> b, bool transB, Span<float> c, int m, int k, int n, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0) { if (!accumulate) c[..(m * n)].Clear(); return; }
        var panels = (n + NR - 1) / NR;
        var threads = (long)m * n * k * 2 >= ParallelFlops ? Math.Min(MaxDegreeOfParallelism, panels) : 1;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new Job(pa, ars, acs, pb, transB, pc, m, k, n, accumulate);
            if (threads <= 1) job.Columns(0, panels);
            else InParallel(job, panels, threads);
        }
    }

    // Separate so the closure exists only on the parallel path: a single-threaded call allocates nothing.
    private static void InParallel(Job job, int panels, int threads)
    {
        var per = (panels + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => job.Columns(t * per, Math.Min(panels, (t + 1) * per)));
    }

    private readonly unsafe struct Job(float* a, int ars, int acs, float* b, bool transB, float* c, int m, int k, int n, bool accumulate)
    {
        /// <summary>
        /// Column panels [p0, p1): pack each B panel per K block, then sweep all row tiles over it.
        /// The first K block stores into C unless accumulating, so C is never cleared and re-read
        /// (for the logits product C is tens of MB: each pass over it is memory traffic).
        /// </summary>
        public void Columns(int p0, int p1)
        {
            var panel = _panel ??= GC.AllocateUninitializedArray<float>(KC * NR, pinned: true);
            fixed (float* pp = panel)
            {
                Span<float> tile = stackalloc float[MR * NR];
                for (var p = p0; p < p1; p++)
                {
                    var j0 = p * NR;
                    var width = Math.Min(NR, n - j0);
                    for (var k0 = 0; k0 < k; k0 += KC)
                    {
                        var kc = Math.Min(KC, k - k0);
                        var store = k0 == 0 && !accumulate;
                        Pack(pp, j0, width, k0, kc);
                        for (var i0 = 0; i0 < m; i0 += MR)
                        {
                            var rows = Math.Min(MR, m - i0);
                            if (rows == MR && width == NR) Kernel(a + (long)i0 * ars + (long)k0 * acs, pp, kc, c + (long)i0 * n + j0, n, store);
                            else Edge(i0, rows, j0, width, k0, kc, pp, tile, store);
                        }
                    }
                }
            }
        }

        private void Pack(float* dst, int j0, int width, int k0, int kc)
        {
            for (var kk = 0; kk < kc; kk++)
            {
                var row = dst + kk * NR;
                if (transB)
                {
                    var src = b + (long)j0 * k + k0 + kk;
                    for (var j = 0; j < width; j++) row[j] = src[(long)j * k];
                }
                else new ReadOnlySpan<float>(b + (long)(k0 + kk) * n + j0, width).CopyTo(new Span<float>(row, width));
                if (width < NR) new Span<float>(row + width, NR - width).Clear();
            }
        }

        /// <summary>A partial tile: compute into a scratch tile with the same kernel, add the valid part.</summary>
        private void Edge(int i0, int rows, int j0, int width, int k0, int kc, float* panel, Span<float> tile, bool store)
        {
            tile.Clear();
            fixed (float* pt = tile)
            {
                if (rows == MR) Kernel(a + (long)i0 * ars + (long)k0 * acs, panel, kc, pt, NR, store: false);
                else for (var r = 0; r < rows; r++) Row(a + (long)(i0 + r) * ars + (long)k0 * acs, panel, kc, pt + r * NR);
                for (var r = 0; r < rows; r++)
                {
                    var cr = c + (long)(i0 + r) * n + j0;
                    if (store) for (var j = 0; j < width; j++) cr[j] = pt[r * NR + j];
                    else for (var j = 0; j < width; j++) cr[j] += pt[r * NR + j];
                }
            }
        }

        /// <summary>
        /// One row of a partial tile, t[32] += a[kc] · P[kc×32], in vector registers (the rows of an M below 6: a serving
        /// request's one sequence). A multiply then an add, never fused, in the order of the scalar loop of the fallback:
        /// each element rounds exactly as that loop rounds it, so results do not depend on the CPU's vector width.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Row(float* ar, float* panel, int kc, float* tr)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var t0 = Vector512.Load(tr); var t1 = Vector512.Load(tr + 16);
                for (var kk = 0; kk < kc; kk++)
                {
                    var s = Vector512.Create(ar[(long)kk * acs]);
                    var br = panel + kk * NR;
                    t0 += s * Vector512.Load(br); t1 += s * Vector512.Load(br + 16);
                }
                t0.Store(tr); t1.Store(tr + 16);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var t0 = Vector256.Load(tr); var t1 = Vector256.Load(tr + 8); var t2 = Vector256.Load(tr + 16); var t3 = Vector256.Load(tr + 24);
                for (var kk = 0; kk < kc; kk++)
                {
                    var s = Vector256.Create(ar[(long)kk * acs]);
                    var br = panel + kk * NR;
                    t0 += s * Vector256.Load(br); t1 += s * Vector256.Load(br + 8); t2 += s * Vector256.Load(br + 16); t3 += s * Vector256.Load(br + 24);
                }
                t0.Store(tr); t1.Store(tr + 8); t2.Store(tr + 16); t3.Store(tr + 24);
            }
            else
                for (var kk = 0; kk < kc; kk++)
                {
                    var s = ar[(long)kk * acs];
                    var br = panel + kk * NR;
                    for (var j = 0; j < NR; j++) tr[j] += s * br[j];
                }
        }

        /// <summary>C[6×32] += A[6×kc] · P[kc×32]: 12 Vector512 accumulators, or two 6×16 passes of Vector256 on AVX2.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Kernel(float* ap, float* pp, int kc, float* cp, int ldc, bool store)
        {
            long r1 = ars, r2 = 2L * ars, r3 = 3L * ars, r4 = 4L * ars, r5 = 5L * ars;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                for (var kk = 0; kk < kc; kk++)
                {
                    var b0 = Vector512.Load(pp + kk * NR);
                    var b1 = Vector512.Load(pp + kk * NR + 16);
                    var ak = ap + (long)kk * acs;
                    var x = Vector512.Create(ak[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                    x = Vector512.Create(ak[r1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                    x = Vector512.Create(ak[r2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                    x = Vector512.Create(ak[r3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                    x = Vector512.Create(ak[r4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                    x = Vector512.Create(ak[r5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                }
                Add(cp, c00, c01, store); Add(cp + ldc, c10, c11, store); Add(cp + 2 * ldc, c20, c21, store);
                Add(cp + 3 * ldc, c30, c31, store); Add(cp + 4 * ldc, c40, c41, store); Add(cp + 5 * ldc, c50, c51, store);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Kernel256(ap, pp, kc, cp, ldc, r1, r2, r3, r4, r5, store);
                Kernel256(ap, pp + 16, kc, cp + 16, ldc, r1, r2, r3, r4, r5, store);
            }
            else
            {
                if (store) for (var r = 0; r < MR; r++) new Span<float>(cp + r * ldc, NR).Clear();
                for (var r = 0; r < MR; r++)
                    for (var kk = 0; kk < kc; kk++)
                    {
                        var s = ap[r * (long)ars + (long)kk * acs];
                        for (var j = 0; j < NR; j++) cp[r * ldc + j] += s * pp[kk * NR + j];
                    }
            }
        }

        /// <summary>C[6×16] += A[6×kc] · P[kc×16 of a 32-wide panel]: 12 Vector256 accumulators, fits AVX2's 16 registers.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Kernel256(float* ap, float* pp, int kc, float* cp, int ldc, long r1, long r2, long r3, long r4, long r5, bool store)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (var kk = 0; kk < kc; kk++)
            {
                var b0 = Vector256.Load(pp + kk * NR);
                var b1 = Vector256.Load(pp + kk * NR + 8);
                var ak = ap + (long)kk * acs;
                var x = Vector256.Create(ak[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(ak[r1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(ak[r2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(ak[r3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(ak[r4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(ak[r5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            }
            Add(cp, c00, c01, store); Add(cp + ldc, c10, c11, store); Add(cp + 2 * ldc, c20, c21, store);
            Add(cp + 3 * ldc, c30, c31, store); Add(cp + 4 * ldc, c40, c41, store); Add(cp + 5 * ldc, c50, c51, store);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Add(float* row, Vector256<float> lo, Vector256<float> hi, bool store)
        {
            if (store) { lo.Store(row); hi.Store(row + 8); return; }
            (Vector256.Load(row) + lo).Store(row);
            (Vector256.Load(row + 8) + hi).Store(row + 8);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Add(float* row, Vector512<float> lo, Vector512<float> hi, bool store)
        {
            if (store) { lo.Store(row); hi.Store(row + 16); return; }
            (Vector512.Load(row) + lo).Store(row);
            (Vector512.Load(row + 16) + hi).Store(row + 16);
        }
    }
}
