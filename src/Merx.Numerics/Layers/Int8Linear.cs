namespace Merx.Numerics.Layers;

/// <summary>
/// A dense layer y = x·W + b for inference with int8 weights: W (in, out) is stored transposed as
/// (out, in) int8 rows with one float scale per output (<see cref="Int8Rows"/>), and each input row
/// is quantized the same way when it arrives (dynamic, symmetric, per token), so every product is an
/// exact int8 · int8 integer from <see cref="Int8Rows.Dots"/> (the AVX2 kernel beside its scalar
/// twin) scaled back once: y[t, o] = sₓ[t] · s_w[o] · Σₖ qₓ[t, k] q_w[o, k] + b[o]. A quarter of
/// the float layer's weight bytes.
/// </summary>
public sealed class Int8Linear
{
    private readonly sbyte[] _q;     // (out, in) quantized Wᵀ
    private readonly float[] _scale; // (out) per output row

    /// <summary>Quantizes W (in, out), row-major as the float layer holds it.</summary>
    public Int8Linear(ReadOnlySpan<float> w, int inDim, int outDim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outDim, 1);
        if (w.Length != inDim * outDim) throw new ArgumentException($"w must be ({inDim}, {outDim})", nameof(w));
        In = inDim; Out = outDim;
        var wt = new float[outDim * inDim];
        for (var i = 0; i < inDim; i++)
            for (var o = 0; o < outDim; o++) wt[o * inDim + i] = w[i * outDim + o];
        _q = new sbyte[outDim * inDim];
        _scale = new float[outDim];
        Int8Rows.Quantize(wt, inDim, _q, _scale);
    }

    public int In { get; }
    public int Out { get; }

    /// <summary>Bytes the layer's weights take (int8 entries and one float scale per output).</summary>
    public long Bytes => _q.Length + 4L * _scale.Length;

    /// <summary>y (n, out) = x (n, in) · W + bias (out).</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int n)
    {
        if (x.Length < n * In || y.Length < n * Out || bias.Length != Out) throw new ArgumentException($"x must hold ({n}, {In}), y ({n}, {Out}), bias ({Out})");
        var qx = In <= 4096 ? stackalloc sbyte[In] : new sbyte[In];
        var acc = Out <= 4096 ? stackalloc int[Out] : new int[Out];
        for (var t = 0; t < n; t++)
        {
            var sx = Int8Rows.QuantizeRow(x.Slice(t * In, In), qx);
            Int8Rows.Dots(_q, qx, acc);
            var row = y.Slice(t * Out, Out);
            for (var o = 0; o < Out; o++) row[o] = acc[o] * (sx * _scale[o]) + bias[o];
        }
    }

    /// <summary>The dequantized weights W' (in, out) = s_w · q_w, what the int8 layer multiplies by (for tests and error bounds).</summary>
    public float[] Dequantized()
    {
        var w = new float[In * Out];
        for (var o = 0; o < Out; o++)
            for (var i = 0; i < In; i++) w[i * Out + o] = _q[o * In + i] * _scale[o];
        return w;
    }
}
