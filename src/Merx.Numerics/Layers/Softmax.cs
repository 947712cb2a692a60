using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Row-wise softmax over the last axis, y = exp(x − max) / Σ exp(x − max), and its backward
/// dx = y ⊙ (dy − Σ dy·y). Subtracting the row maximum keeps exp finite for any input.
/// An empty row (cols = 0) is left alone.
/// </summary>
public static class Softmax
{
    /// <summary>x, y: (rows, cols); y may be x (in place).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        Check(x.Length, y.Length, rows, cols);
        if (cols == 0) return;
        for (var r = 0; r < rows; r++)
        {
            var xi = x.Slice(r * cols, cols);
            var yi = y.Slice(r * cols, cols);
            var max = TensorPrimitives.Max(xi);
            TensorPrimitives.Subtract(xi, max, yi);
            TensorPrimitives.Exp(yi, yi);
            TensorPrimitives.Multiply(yi, 1f / TensorPrimitives.Sum(yi), yi);
        }
    }

    /// <summary>From the saved output y and dy (rows, cols): dx = y ⊙ (dy − Σ dy·y); dx may be dy.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        Check(y.Length, dx.Length, rows, cols);
        if (dy.Length < rows * cols) throw new ArgumentException($"dy has {dy.Length} elements, needs {rows * cols}");
        for (var r = 0; r < rows; r++)
        {
            var yi = y.Slice(r * cols, cols);
            var di = dx.Slice(r * cols, cols);
            var dot = TensorPrimitives.Dot(yi, dy.Slice(r * cols, cols));
            TensorPrimitives.Subtract(dy.Slice(r * cols, cols), dot, di);
            TensorPrimitives.Multiply(di, yi, di);
        }
    }

    /// <summary>Plain double-precision twin of <see cref="Forward"/>.</summary>
    public static void ReferenceForward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (var r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (var j = 0; j < cols; j++) max = Math.Max(max, x[r * cols + j]);
            for (var j = 0; j < cols; j++) sum += Math.Exp(x[r * cols + j] - max);
            for (var j = 0; j < cols; j++) y[r * cols + j] = (float)(Math.Exp(x[r * cols + j] - max) / sum);
        }
    }

    /// <summary>Plain double-precision twin of <see cref="Backward"/>.</summary>
    public static void ReferenceBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        for (var r = 0; r < rows; r++)
        {
            double dot = 0;
            for (var j = 0; j < cols; j++) dot += (double)y[r * cols + j] * dy[r * cols + j];
            for (var j = 0; j < cols; j++) dx[r * cols + j] = (float)(y[r * cols + j] * (dy[r * cols + j] - dot));
        }
    }

    private static void Check(int inLen, int outLen, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException("rows and cols must be non-negative");
        if (inLen < rows * cols || outLen < rows * cols) throw new ArgumentException($"buffers must hold rows·cols = {rows * cols} elements");
    }
}
