using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Merx.Numerics;

/// <summary>
/// y[r] = A[r,:]·x for a row-major (rows, d) matrix A: the matrix-vector product that scores one
/// user vector against a block of item vectors (retrieval, exact scoring of a small set). At one
/// query the GEMM's packing costs more than it saves, and a general dot product per row pays its
/// call and tail handling every row; this kernel keeps x in registers and does four rows per pass.
/// </summary>
public static class RowDots
{
    /// <summary>y[r] = a[r·d .. r·d+d)·x for r &lt; y.Length.</summary>
    /// <param name="a">(rows, d) row-major, rows = y.Length.</param>
    /// <param name="x">(d).</param>
    /// <param name="y">(rows) output.</param>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        var d = x.Length;
        var rows = y.Length;
        if ((long)rows * d > a.Length) throw new ArgumentException($"a must hold {rows} rows of {d}", nameof(a));
        if (rows == 0) return;
        if (d == 0) { y.Clear(); return; }
        if (Vector256.IsHardwareAccelerated && d % 8 == 0 && d <= 256) Vector(a, x, y, d, rows);
        else for (var r = 0; r < rows; r++) y[r] = System.Numerics.Tensors.TensorPrimitives.Dot(a.Slice(r * d, d), x);
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
}
