using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Residual connection y = x + f(x), element-wise over (N, D). Its backward passes dy unchanged to
/// both branches: dx += dy (the skip path) and df = dy, which is why the network keeps one
/// gradient stream flowing down the residual and adds each block's input gradient into it.
/// </summary>
public static class Residual
{
    /// <summary>y = x + fx (y may alias either input).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> fx, Span<float> y)
    {
        if (fx.Length < x.Length || y.Length < x.Length) throw new ArgumentException($"fx and y must hold {x.Length} elements");
        TensorPrimitives.Add(x, fx[..x.Length], y[..x.Length]);
    }

    /// <summary>Adds a branch's input gradient into the residual stream: dStream += dBranch.</summary>
    public static void Backward(Span<float> dStream, ReadOnlySpan<float> dBranch)
    {
        if (dBranch.Length < dStream.Length) throw new ArgumentException($"dBranch must hold {dStream.Length} elements");
        TensorPrimitives.Add(dStream, dBranch[..dStream.Length], dStream);
    }

    /// <summary>Plain double-precision twin of <see cref="Forward"/>.</summary>
    public static void ReferenceForward(ReadOnlySpan<float> x, ReadOnlySpan<float> fx, Span<float> y)
    {
        for (var i = 0; i < x.Length; i++) y[i] = (float)((double)x[i] + fx[i]);
    }
}
