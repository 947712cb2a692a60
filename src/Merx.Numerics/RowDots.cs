using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Merx.Numerics;

/// <summary>
/// y[r] = A[r,:]·x for a row-major (rows, d) matrix A: the matrix-vector product that scores one
/// user vector against a block of item vectors (retrieval, exact scoring of a small set). At one
/// query the GEMM's packing costs more than it saves, and a general dot product per row pays its
/// call and tail handling every row; this kernel keeps x in registers and does four rows per pass.
/// <see cref="Cosines"/> is its cosine variant (similar items): one read of each row gives its dot with x and its
/// squared norm together, where a norm call per row would read the row twice and a cosine call per row would pay
/// x's norm every time.
/// </summary>
public static class RowDots
{
    /// <summary>y[r] = a[r·d .. r·d+d)·x for r &lt; y.Length.</summary>
    /// <param name="a">(rows, d) row-major, rows = y.Length.</param>
    /// <param name="x">(d).</param>
    /// <param name="y">(rows) output.</param>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        var (d, rows) = Shape(a, x, y);
        if (rows == 0) return;
        if (d == 0) { y.Clear(); return; }
        if (Vectorised(d)) Vector(a, x, y, d, rows);
        else for (var r = 0; r < rows; r++) y[r] = System.Numerics.Tensors.TensorPrimitives.Dot(a.Slice(r * d, d), x);
    }

    /// <summary>y[r] = cos(a[r·d .. r·d+d), x) for r &lt; y.Length; a row or x of norm 0 scores 0.</summary>
    /// <param name="a">(rows, d) row-major, rows = y.Length.</param>
    /// <param name="x">(d).</param>
    /// <param name="y">(rows) output.</param>
    public static void Cosines(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        var (d, rows) = Shape(a, x, y);
        if (rows == 0) return;
        var xNorm = System.Numerics.Tensors.TensorPrimitives.Norm(x);
        if (d == 0 || xNorm == 0) { y.Clear(); return; }
        if (Vectorised(d)) VectorCosines(a, x, y, d, rows, xNorm);
        else
            for (var r = 0; r < rows; r++)
            {
                var row = a.Slice(r * d, d);
                var norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
                y[r] = norm > 0 ? System.Numerics.Tensors.TensorPrimitives.Dot(row, x) / (norm * xNorm) : 0;
            }
    }

    /// <summary>Plain double-precision twin of <see cref="Forward"/>.</summary>
    public static void Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        var d = x.Length;
        for (var r = 0; r < y.Length; r++)
        {
            double s = 0;
            for (var k = 0; k < d; k++) s += (double)a[r * d + k] * x[k];
            y[r] = (float)s;
        }
    }

    /// <summary>Plain double-precision twin of <see cref="Cosines"/>.</summary>
    public static void ReferenceCosines(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        var d = x.Length;
        double xx = 0;
        for (var k = 0; k < d; k++) xx += (double)x[k] * x[k];
        for (var r = 0; r < y.Length; r++)
        {
            double s = 0, aa = 0;
            for (var k = 0; k < d; k++) { s += (double)a[r * d + k] * x[k]; aa += (double)a[r * d + k] * a[r * d + k]; }
            y[r] = aa > 0 && xx > 0 ? (float)(s / Math.Sqrt(aa * xx)) : 0;
        }
    }

    private static (int D, int Rows) Shape(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        if ((long)y.Length * x.Length > a.Length) throw new ArgumentException($"a must hold {y.Length} rows of {x.Length}", nameof(a));
        return (x.Length, y.Length);
    }

    private static bool Vectorised(int d) => Vector256.IsHardwareAccelerated && d % 8 == 0 && d <= 256;

    // 256-bit lanes: Zen 4 runs 512-bit operations as two halves, so 256 is as fast and works on more machines.
    private static void Vector(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y, int d, int rows)
    {
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var x0 = ref MemoryMarshal.GetReference(x);
        var r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ref var p = ref Unsafe.Add(ref a0, r * d);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var k = 0; k < d; k += 8)
            {
                var xv = Vector256.LoadUnsafe(ref x0, (nuint)k);
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref p, (nuint)k), xv, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref p, (nuint)(d + k)), xv, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref p, (nuint)(2 * d + k)), xv, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref p, (nuint)(3 * d + k)), xv, s3);
            }
            y[r] = Vector256.Sum(s0); y[r + 1] = Vector256.Sum(s1); y[r + 2] = Vector256.Sum(s2); y[r + 3] = Vector256.Sum(s3);
        }
        for (; r < rows; r++)
        {
            ref var p = ref Unsafe.Add(ref a0, r * d);
            Vector256<float> s = default;
            for (var k = 0; k < d; k += 8) s = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref p, (nuint)k), Vector256.LoadUnsafe(ref x0, (nuint)k), s);
            y[r] = Vector256.Sum(s);
        }
    }

    private static void VectorCosines(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y, int d, int rows, float xNorm)
    {
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var x0 = ref MemoryMarshal.GetReference(x);
        var r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            ref var p = ref Unsafe.Add(ref a0, r * d);
            Vector256<float> s0 = default, s1 = default, n0 = default, n1 = default;
            for (var k = 0; k < d; k += 8)
            {
                var xv = Vector256.LoadUnsafe(ref x0, (nuint)k);
                var v0 = Vector256.LoadUnsafe(ref p, (nuint)k);
                var v1 = Vector256.LoadUnsafe(ref p, (nuint)(d + k));
                s0 = Vector256.FusedMultiplyAdd(v0, xv, s0); n0 = Vector256.FusedMultiplyAdd(v0, v0, n0);
                s1 = Vector256.FusedMultiplyAdd(v1, xv, s1); n1 = Vector256.FusedMultiplyAdd(v1, v1, n1);
            }
            y[r] = Cosine(Vector256.Sum(s0), Vector256.Sum(n0), xNorm);
            y[r + 1] = Cosine(Vector256.Sum(s1), Vector256.Sum(n1), xNorm);
        }
        for (; r < rows; r++)
        {
            ref var p = ref Unsafe.Add(ref a0, r * d);
            Vector256<float> s = default, n = default;
            for (var k = 0; k < d; k += 8)
            {
                var v = Vector256.LoadUnsafe(ref p, (nuint)k);
                s = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref x0, (nuint)k), s);
                n = Vector256.FusedMultiplyAdd(v, v, n);
            }
            y[r] = Cosine(Vector256.Sum(s), Vector256.Sum(n), xNorm);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Cosine(float dot, float squaredNorm, float xNorm) => squaredNorm > 0 ? dot / (MathF.Sqrt(squaredNorm) * xNorm) : 0;
}
