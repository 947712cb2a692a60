using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
/// expected output equals the input and inference needs no rescaling. The mask (0 or 1/(1 − p)
/// per element) is saved for the backward pass, dx = dy ⊙ mask. Random bits come from a caller-
/// owned <see cref="XorShift64"/> state, so a run is reproducible from its seed and the kernel allocates nothing.
/// </summary>
public static class Dropout
{
    /// <summary>
    /// Draws the mask (n) and writes y = x ⊙ mask (y may be x). With rate 0 or when not training
    /// the mask is all ones and y = x. rng: xorshift64 state, never 0 (advanced in place).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float rate, bool training, ref ulong rng)
    {
        var n = x.Length;
        if (y.Length < n || mask.Length < n) throw new ArgumentException($"y and mask must hold {n} elements");
        if (rate is < 0 or >= 1) throw new ArgumentException("dropout rate must be in [0, 1)");
        var m = mask[..n];
        if (!training || rate <= 0) { m.Fill(1f); x.CopyTo(y); return; }
        if (rng == 0) rng = 0x9E3779B97F4A7C15UL;
        var keep = 1f / (1 - rate);
        var threshold = (ulong)(rate * (double)ulong.MaxValue);
        var s = rng;
        for (var i = 0; i < n; i++)
        {
            s = XorShift64.Next(s);
            m[i] = s < threshold ? 0f : keep;
        }
        rng = s;
        TensorPrimitives.Multiply(x, m, y[..n]);
    }

    /// <summary>dx = dy ⊙ mask (dx may be dy).</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx)
    {
        if (mask.Length < dy.Length || dx.Length < dy.Length) throw new ArgumentException($"mask and dx must hold {dy.Length} elements");
        TensorPrimitives.Multiply(dy, mask[..dy.Length], dx[..dy.Length]);
    }

    /// <summary>Plain twin of applying a saved mask: y = x ⊙ mask, element by element in double.</summary>
    public static void ReferenceApply(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, Span<float> y)
    {
        for (var i = 0; i < x.Length; i++) y[i] = (float)((double)x[i] * mask[i]);
    }
}
