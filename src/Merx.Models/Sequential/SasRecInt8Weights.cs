using Merx.Numerics;
using Merx.Numerics.Layers;

namespace Merx.Models.Sequential;

/// <summary>
/// The Transformer's big matrices in int8 for inference: every block's dense layers (Wqkv, Wo, W1,
/// W2 as <see cref="Int8Linear"/>, per output row scales) and the item representations (Items, D),
/// per item row. LayerNorm parameters, biases and positions (under 1 % of the weights) stay float.
/// Immutable, shared by every inference network of the model.
/// </summary>
public sealed class SasRecInt8Weights
{
    private readonly Dictionary<int, Int8Linear> _layers = [];

    internal SasRecInt8Weights(SasRecLayout l, float[] p, float[] reps)
    {
        int d = l.D, f = l.F;
        foreach (var b in l.Blocks)
        {
            _layers[b.Wqkv] = new Int8Linear(p.AsSpan(b.Wqkv, d * 3 * d), d, 3 * d);
            _layers[b.Wo] = new Int8Linear(p.AsSpan(b.Wo, d * d), d, d);
            _layers[b.W1] = new Int8Linear(p.AsSpan(b.W1, d * f), d, f);
            _layers[b.W2] = new Int8Linear(p.AsSpan(b.W2, f * d), f, d);
        }
        var n = l.Items * d;
        Reps = new sbyte[n];
        RepScales = new float[l.Items];
        Int8Rows.Quantize(reps.AsSpan(0, n), d, Reps, RepScales);
        SmallFloats = (long)l.T * d + l.Blocks.Length * (2L * d + 3 * d + d + 2 * d + f + d) + 2L * d;
    }

    /// <summary>(Items, D) int8 item representations.</summary>
    public sbyte[] Reps { get; }
    /// <summary>(Items) their per-row scales.</summary>
    public float[] RepScales { get; }
    /// <summary>Float entries kept as they are: positions, LayerNorm γ and β, biases.</summary>
    public long SmallFloats { get; }

    /// <summary>The int8 layer whose float weights start at <paramref name="offset"/> in the parameters, or null.</summary>
    public Int8Linear? Layer(int offset) => _layers.GetValueOrDefault(offset);

    /// <summary>Bytes of the int8 inference weights: int8 item rows and dense layers with their scales, the small tensors at 4 bytes.</summary>
    public long Bytes => Reps.Length + 4L * RepScales.Length + _layers.Values.Sum(q => q.Bytes) + 4 * SmallFloats;
}
