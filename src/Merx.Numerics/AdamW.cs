using System.Numerics.Tensors;

namespace Merx.Numerics;

/// <summary>
/// AdamW over one flat parameter buffer (decoupled weight decay, bias-corrected moments). Both
/// moments live in one allocation each; a step allocates nothing. Parameters before
/// <see cref="DecayFrom"/> (embeddings, by convention of the caller's layout) can be exempted.
/// </summary>
public sealed class AdamW(int parameterCount, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
{
    private readonly float[] _m = new float[parameterCount];
    private readonly float[] _v = new float[parameterCount];

    public float LearningRate { get; set; } = learningRate;
    public float WeightDecay { get; set; } = weightDecay;
    public int Steps { get; private set; }
    /// <summary>Weight decay applies to parameters at indices ≥ this.</summary>
    public int DecayFrom { get; set; }

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != _m.Length || gradients.Length != _m.Length) throw new ArgumentException("parameter and gradient lengths must match the optimizer");
        Steps++;
        var c1 = 1 - MathF.Pow(beta1, Steps);
        var c2 = 1 - MathF.Pow(beta2, Steps);
        var lr = LearningRate / c1;
        var decay = 1 - LearningRate * WeightDecay;
        if (WeightDecay > 0) TensorPrimitives.Multiply(parameters[DecayFrom..], decay, parameters[DecayFrom..]);
        const int chunk = 4096;
        Span<float> step = stackalloc float[chunk];
        for (var i = 0; i < parameters.Length; i += chunk)
        {
            var n = Math.Min(chunk, parameters.Length - i);
            var g = gradients.Slice(i, n); var m = _m.AsSpan(i, n); var v = _v.AsSpan(i, n); var s = step[..n];
            TensorPrimitives.Multiply(m, beta1, m);
            TensorPrimitives.MultiplyAdd(g, 1 - beta1, m, m);          // m = β1 m + (1−β1) g
            TensorPrimitives.Multiply(v, beta2, v);
            TensorPrimitives.Multiply(g, g, s);
            TensorPrimitives.MultiplyAdd(s, 1 - beta2, v, v);          // v = β2 v + (1−β2) g²
            TensorPrimitives.Multiply(v, 1 / c2, s);
            TensorPrimitives.Sqrt(s, s);
            TensorPrimitives.Add(s, eps, s);
            TensorPrimitives.Divide(m, s, s);                          // m / (√v̂ + ε)
            TensorPrimitives.MultiplyAdd(s, -lr, parameters.Slice(i, n), parameters.Slice(i, n));
        }
    }

    /// <summary>Plain twin of one step for one parameter (tests compare against it).</summary>
    public static (float P, float M, float V) ReferenceStep(float p, float g, float m, float v, int step, float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        p *= 1 - lr * weightDecay;
        m = beta1 * m + (1 - beta1) * g;
        v = beta2 * v + (1 - beta2) * g * g;
        var mh = m / (1 - MathF.Pow(beta1, step));
        var vh = v / (1 - MathF.Pow(beta2, step));
        return (p - lr * mh / (MathF.Sqrt(vh) + eps), m, v);
    }
}

/// <summary>Rescales a gradient so its global L2 norm is at most maxNorm.</summary>
public static class GradientClipping
{
    /// <summary>Returns the norm before clipping.</summary>
    public static float ClipGlobalNorm(Span<float> gradients, float maxNorm)
    {
        var norm = TensorPrimitives.Norm(gradients);
        if (maxNorm > 0 && norm > maxNorm) TensorPrimitives.Multiply(gradients, maxNorm / norm, gradients);
        return norm;
    }
}
