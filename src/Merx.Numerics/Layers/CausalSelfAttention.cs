using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Causal multi-head self-attention over packed variable-length sequences: sequence b owns token
/// rows offsets[b]..offsets[b+1] (no padding rows at all), and a token attends to itself and the
/// earlier tokens of its own sequence. Scores are scaled by 1/√(head size); probabilities are saved.
/// </summary>
public static class CausalSelfAttention
{
    /// <summary>Floats of saved probabilities for these sequences: Σ heads·n².</summary>
    public static int ProbabilityLength(ReadOnlySpan<int> offsets, int heads)
    {
        var total = 0;
        for (var b = 0; b + 1 < offsets.Length; b++) { var n = offsets[b + 1] - offsets[b]; total += heads * n * n; }
        return total;
    }

    /// <summary>qkv: (N, 3C) rows [q | k | v]; att: (N, C); probs: (Σ H·n²).</summary>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> att, Span<float> probs, ReadOnlySpan<int> offsets, int c, int heads)
    {
        var hs = c / heads;
        var scale = 1f / MathF.Sqrt(hs);
        var p0 = 0;
        for (var b = 0; b + 1 < offsets.Length; b++)
        {
            int start = offsets[b], n = offsets[b + 1] - start;
            for (var h = 0; h < heads; h++)
            {
                var p = probs.Slice(p0, n * n);
                p0 += n * n;
                for (var i = 0; i < n; i++) Row(qkv, att.Slice((start + i) * c + h * hs, hs), p.Slice(i * n, i + 1), start, i, c, h * hs, scale);
            }
        }
    }

    /// <summary>
    /// Inference for the last token of one sequence only (rows start..end-1 of qkv): its attention
    /// output goes to att (C). What a user encoder needs from the top block; probabilities are not kept.
    /// </summary>
    /// <param name="scratch">At least end − start floats.</param>
    public static void ForwardLast(ReadOnlySpan<float> qkv, Span<float> att, Span<float> scratch, int start, int end, int c, int heads)
    {
        var hs = c / heads;
        var scale = 1f / MathF.Sqrt(hs);
        var i = end - 1 - start;
        if (i < 0) throw new ArgumentException("the sequence is empty", nameof(end));
        for (var h = 0; h < heads; h++) Row(qkv, att.Slice(h * hs, hs), scratch[..(i + 1)], start, i, c, h * hs, scale);
    }

    // Token i (of the sequence starting at row start), head at column offset ho: scores into row, softmax, weighted values into o (the head's output).
    private static void Row(ReadOnlySpan<float> qkv, Span<float> o, Span<float> row, int start, int i, int c, int ho, float scale)
    {
        var hs = o.Length;
        var q = qkv.Slice((start + i) * 3 * c + ho, hs);
        for (var j = 0; j <= i; j++) row[j] = scale * TensorPrimitives.Dot(q, qkv.Slice((start + j) * 3 * c + c + ho, hs));
        Softmax.Forward(row, row, 1, i + 1);
        o.Clear();
        for (var j = 0; j <= i; j++) TensorPrimitives.MultiplyAdd(qkv.Slice((start + j) * 3 * c + 2 * c + ho, hs), row[j], o, o);
    }

    /// <summary>dqkv (N, 3C) is overwritten from datt (N, C); scratch: (n_max) floats.</summary>
    public static void Backward(ReadOnlySpan<float> qkv, ReadOnlySpan<float> probs, ReadOnlySpan<float> datt, Span<float> dqkv, Span<float> scratch, ReadOnlySpan<int> offsets, int c, int heads)
    {
        var hs = c / heads;
        var scale = 1f / MathF.Sqrt(hs);
        dqkv[(offsets[0] * 3 * c)..(offsets[^1] * 3 * c)].Clear();
        var p0 = 0;
        for (var b = 0; b + 1 < offsets.Length; b++)
        {
            int start = offsets[b], n = offsets[b + 1] - start;
            for (var h = 0; h < heads; h++)
            {
                var p = probs.Slice(p0, n * n);
                p0 += n * n;
                for (var i = 0; i < n; i++)
                {
                    var row = p.Slice(i * n, i + 1);
                    var dS = scratch[..(i + 1)];
                    var dOut = datt.Slice((start + i) * c + h * hs, hs);
                    for (var j = 0; j <= i; j++)
                    {
                        var vOff = (start + j) * 3 * c + 2 * c + h * hs;
                        dS[j] = TensorPrimitives.Dot(dOut, qkv.Slice(vOff, hs));           // dP_ij
                        TensorPrimitives.MultiplyAdd(dOut, row[j], dqkv.Slice(vOff, hs), dqkv.Slice(vOff, hs));
                    }
                    Softmax.Backward(row, dS, dS, 1, i + 1);                                  // dS_ij = p_ij (dP_ij − Σ p dP)
                    TensorPrimitives.Multiply(dS, scale, dS);
                    var qOff = (start + i) * 3 * c + h * hs;
                    var dq = dqkv.Slice(qOff, hs);
                    for (var j = 0; j <= i; j++)
                    {
                        var kOff = (start + j) * 3 * c + c + h * hs;
                        TensorPrimitives.MultiplyAdd(qkv.Slice(kOff, hs), dS[j], dq, dq);
                        TensorPrimitives.MultiplyAdd(qkv.Slice(qOff, hs), dS[j], dqkv.Slice(kOff, hs), dqkv.Slice(kOff, hs));
                    }
                }
            }
        }
    }

    /// <summary>Plain double-precision twin of <see cref="Forward"/>.</summary>
    public static void ReferenceForward(ReadOnlySpan<float> qkv, Span<float> att, ReadOnlySpan<int> offsets, int c, int heads)
    {
        var hs = c / heads;
        var scale = 1.0 / Math.Sqrt(hs);
        for (var b = 0; b + 1 < offsets.Length; b++)
        {
            int start = offsets[b], n = offsets[b + 1] - start;
            for (var h = 0; h < heads; h++)
                for (var i = 0; i < n; i++)
                {
                    var s = new double[i + 1];
                    for (var j = 0; j <= i; j++)
                        for (var d = 0; d < hs; d++) s[j] += scale * qkv[(start + i) * 3 * c + h * hs + d] * qkv[(start + j) * 3 * c + c + h * hs + d];
                    var max = s.Max();
                    var sum = s.Sum(v => Math.Exp(v - max));
                    for (var d = 0; d < hs; d++)
                    {
                        double o = 0;
                        for (var j = 0; j <= i; j++) o += Math.Exp(s[j] - max) / sum * qkv[(start + j) * 3 * c + 2 * c + h * hs + d];
                        att[(start + i) * c + h * hs + d] = (float)o;
                    }
                }
        }
    }
}
