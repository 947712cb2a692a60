using System.Numerics.Tensors;

namespace Merx.Privacy.DpSgd;

/// <summary>
/// The DP-SGD kernel: scale one per-example (per-user) gradient to L2 norm at most C and add it to a
/// running sum. Fast version on <see cref="TensorPrimitives"/>; <see cref="Reference"/> is the plain
/// loop it is tested against.
/// </summary>
public static class ClipAndAccumulate
{
    /// <summary>
    /// sum += g · min(1, C/‖g‖₂). g, sum: (D). Returns the factor applied (1 when ‖g‖ ≤ C; 0 for a
    /// non-finite gradient, which is dropped rather than allowed to poison the sum).
    /// </summary>
    public static float Forward(ReadOnlySpan<float> gradient, Span<float> sum, float clipNorm)
    {
        if (gradient.Length != sum.Length) throw new ArgumentException($"gradient ({gradient.Length}) and sum ({sum.Length}) differ in length");
        var norm = MathF.Sqrt(TensorPrimitives.SumOfSquares(gradient));
        if (!float.IsFinite(norm)) return 0;
        var scale = norm > clipNorm ? clipNorm / norm : 1f;
        TensorPrimitives.MultiplyAdd(gradient, scale, sum, sum);
        return scale;
    }

    /// <summary>Scalar twin of <see cref="Forward"/> (norm accumulated in double).</summary>
    public static float Reference(ReadOnlySpan<float> gradient, Span<float> sum, float clipNorm)
    {
        double ss = 0;
        for (var i = 0; i < gradient.Length; i++) ss += (double)gradient[i] * gradient[i];
        var norm = Math.Sqrt(ss);
        if (!double.IsFinite(norm)) return 0;
        var scale = norm > clipNorm ? (float)(clipNorm / norm) : 1f;
        for (var i = 0; i < gradient.Length; i++) sum[i] += gradient[i] * scale;
        return scale;
    }
}
