using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>Layer normalization over the last axis: y = (x − mean) · rstd · γ + β, rows of C channels.</summary>
public static class LayerNorm
{
    public const float Eps = 1e-5f;

    /// <summary>x, y: (N, C); gamma, beta: (C); mean, rstd: (N), saved for the backward pass.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> mean, Span<float> rstd, int n, int c)
    {
        for (var i = 0; i < n; i++)
        {
            var xi = x.Slice(i * c, c);
            var yi = y.Slice(i * c, c);
            var m = TensorPrimitives.Sum(xi) / c;
            TensorPrimitives.Subtract(xi, m, yi);                 // y = x − mean (temporarily)
            var v = TensorPrimitives.Dot(yi, yi) / c;
            var r = 1f / MathF.Sqrt(v + Eps);
            mean[i] = m; rstd[i] = r;
            TensorPrimitives.Multiply(yi, r, yi);                 // x̂
            TensorPrimitives.FusedMultiplyAdd(yi, gamma, beta, yi);
        }
    }

    /// <summary>
    /// dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)) with dx̂ = dy · γ; dγ += Σ dy · x̂, dβ += Σ dy.
    /// dx is overwritten. scratch: (C).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta, Span<float> scratch, int n, int c)
    {
        var xhat = scratch[..c];
        for (var i = 0; i < n; i++)
        {
            var dyi = dy.Slice(i * c, c);
            var dxi = dx.Slice(i * c, c);
            TensorPrimitives.Subtract(x.Slice(i * c, c), mean[i], xhat);
            TensorPrimitives.Multiply(xhat, rstd[i], xhat);
            TensorPrimitives.FusedMultiplyAdd(dyi, xhat, dgamma, dgamma);
            TensorPrimitives.Add(dbeta, dyi, dbeta);
            TensorPrimitives.Multiply(dyi, gamma, dxi);           // dx̂
            var meanD = TensorPrimitives.Sum(dxi) / c;
            var meanDX = TensorPrimitives.Dot(dxi, xhat) / c;
            // dx = rstd · (dx̂ − meanD − x̂ · meanDX)
            TensorPrimitives.MultiplyAdd(xhat, -meanDX, dxi, dxi);
            TensorPrimitives.Add(dxi, -meanD, dxi);
            TensorPrimitives.Multiply(dxi, rstd[i], dxi);
        }
    }

    /// <summary>Plain double-precision twin of <see cref="Forward"/>.</summary>
    public static void ReferenceForward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int n, int c)
    {
        for (var i = 0; i < n; i++)
        {
            double m = 0, v = 0;
            for (var j = 0; j < c; j++) m += x[i * c + j];
            m /= c;
            for (var j = 0; j < c; j++) v += (x[i * c + j] - m) * (x[i * c + j] - m);
            var r = 1 / Math.Sqrt(v / c + Eps);
            for (var j = 0; j < c; j++) y[i * c + j] = (float)((x[i * c + j] - m) * r * gamma[j] + beta[j]);
        }
    }
}
