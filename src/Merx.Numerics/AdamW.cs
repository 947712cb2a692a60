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
        var (lr, c2) = Advance();
        Update(parameters, gradients, 0, lr, c2);
    }

    /// <summary>
    /// One lazy step (TensorFlow's LazyAdam, PyTorch's SparseAdam): parameters from <paramref name="denseFrom"/> on take the
    /// plain step with <paramref name="denseGradients"/> (their gradient, index 0 = parameter <paramref name="denseFrom"/>);
    /// below it only the listed rows of <paramref name="rowLength"/> parameters move, row k (parameters rows[k]·rowLength …)
    /// with gradient row k of <paramref name="rowGradients"/>. Every other row keeps its value and both moments, where the
    /// plain step would move it by its decaying first moment: a large catalog's step touches its batch's items and
    /// negatives only. Equals <see cref="Step"/> when the unlisted rows' moments are zero (the first step, or rows never
    /// touched) and they are not decayed (an unlisted row is not decayed either). Rows must be distinct. Allocates nothing.
    /// </summary>
    public void StepRows(Span<float> parameters, int denseFrom, ReadOnlySpan<float> denseGradients, ReadOnlySpan<int> rows, ReadOnlySpan<float> rowGradients, int rowLength)
    {
        if (parameters.Length != _m.Length) throw new ArgumentException("the parameter length must match the optimizer");
        if ((uint)denseFrom > (uint)parameters.Length || denseGradients.Length != parameters.Length - denseFrom) throw new ArgumentException("the dense gradient must cover the parameters from denseFrom on");
        if (rowLength <= 0 || rowGradients.Length < rows.Length * rowLength) throw new ArgumentException("each listed row needs its gradient row");
        var (lr, c2) = Advance();
        Update(parameters[denseFrom..], denseGradients, denseFrom, lr, c2);
        for (var k = 0; k < rows.Length; k++)
        {
            var start = rows[k] * rowLength;
            if (rows[k] < 0 || start + rowLength > denseFrom) throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[k]} is not below denseFrom");
            Update(parameters.Slice(start, rowLength), rowGradients.Slice(k * rowLength, rowLength), start, lr, c2);
        }
    }

    private (float Lr, float C2) Advance()
    {
        Steps++;
        var c1 = 1 - MathF.Pow(beta1, Steps);
        return (LearningRate / c1, 1 - MathF.Pow(beta2, Steps));
    }

    /// <summary>The step for parameters [offset, offset + p.Length) of the buffer: decay (from <see cref="DecayFrom"/>), moments, update.</summary>
    private void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float lr, float c2)
    {
        var decayFrom = Math.Clamp(DecayFrom - offset, 0, parameters.Length);
        if (WeightDecay > 0 && decayFrom < parameters.Length) TensorPrimitives.Multiply(parameters[decayFrom..], 1 - LearningRate * WeightDecay, parameters[decayFrom..]);
        const int chunk = 4096;
        Span<float> step = stackalloc float[Math.Min(chunk, Math.Max(1, parameters.Length))];
        for (var i = 0; i < parameters.Length; i += chunk)
        {
            var n = Math.Min(chunk, parameters.Length - i);
            var g = gradients.Slice(i, n); var m = _m.AsSpan(offset + i, n); var v = _v.AsSpan(offset + i, n); var s = step[..n];
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

    /// <summary>The same over a gradient kept in two parts (a lazy step's dense part and its rows): their joint norm, both rescaled alike.</summary>
    public static float ClipGlobalNorm(Span<float> first, Span<float> second, float maxNorm)
    {
        var norm = MathF.Sqrt(TensorPrimitives.SumOfSquares(first) + TensorPrimitives.SumOfSquares(second));
        if (maxNorm > 0 && norm > maxNorm)
        {
            TensorPrimitives.Multiply(first, maxNorm / norm, first);
            TensorPrimitives.Multiply(second, maxNorm / norm, second);
        }
        return norm;
    }
}
