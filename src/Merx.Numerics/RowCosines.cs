using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Merx.Numerics;

/// <summary>
/// y[r] = cos(A[r,:], x) for a row-major (rows, d) matrix A: the similar-items pass over a model's item vectors. One
/// read of each row gives its dot product with x and its squared norm together (a separate norm per row re-reads it,
/// and a cosine call per row pays x's norm every time). A row or x of norm 0 scores 0.
/// </summary>
public static class RowCosines
{
    /// <param name="a">(rows, d) row-major, rows = y.Length.</param>
    /// <param name="x">(d).</param>
    /// <param name="y">(rows) output.</param>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y)
    {
        var d = x.Length;
        var rows = y.Length;
        if ((long)rows * d > a.Length) throw new ArgumentException($"a must hold {rows} rows of {d}", nameof(a));
        if (rows == 0) return;
        var xNorm = System.Numerics.Tensors.TensorPrimitives.Norm(x);
        if (d == 0 || xNorm == 0) { y.Clear(); return; }
        if (Vector256.IsHardwareAccelerated && d % 8 == 0 && d <= 256) Vector(a, x, y, d, rows, xNorm);
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
        double xx = 0;
        for (var k = 0; k < d; k++) xx += (double)x[k] * x[k];
        for (var r = 0; r < y.Length; r++)
        {
            double s = 0, aa = 0;
            for (var k = 0; k < d; k++) { s += (double)a[r * d + k] * x[k]; aa += (double)a[r * d + k] * a[r * d + k]; }
            y[r] = aa > 0 && xx > 0 ? (float)(s / Math.Sqrt(aa * xx)) : 0;
        }
    }

    private static void Vector(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y, int d, int rows, float xNorm)
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
