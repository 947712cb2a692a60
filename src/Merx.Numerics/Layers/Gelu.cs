using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
public static class Gelu
{
    private const float S = 0.7978845608f; // √(2/π)
    private const float A = 0.044715f;

    /// <summary>y = GELU(x); x, y: (N). scratch: (N) holds tanh(u) for reuse.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> scratch)
    {
        var u = scratch[..x.Length];
        y = y[..x.Length];
        TensorPrimitives.Multiply(x, x, u);
        TensorPrimitives.Multiply(u, A, u);
        TensorPrimitives.Add(u, 1f, u);                          // 1 + A x²
        TensorPrimitives.Multiply(u, x, u);                      // x + A x³
        TensorPrimitives.Multiply(u, S, u);
        TensorPrimitives.Tanh(u, u);
        TensorPrimitives.Add(u, 1f, y);
        TensorPrimitives.Multiply(y, x, y);
        TensorPrimitives.Multiply(y, 0.5f, y);
    }

    /// <summary>dx = dy · GELU'(x); dx is overwritten.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (var i = 0; i < x.Length; i++) dx[i] = dy[i] * Derivative(x[i]);
    }

    public static float Derivative(float x)
    {
        var u = S * (x + A * x * x * x);
        var t = MathF.Tanh(u);
        return 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * S * (1 + 3 * A * x * x);
    }

    public static double Reference(double x) => 0.5 * x * (1 + Math.Tanh(S * (x + A * x * x * x)));
}
