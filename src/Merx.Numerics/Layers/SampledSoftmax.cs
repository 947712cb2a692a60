using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Sampled-softmax cross-entropy with log-Q correction, for catalogs too large for the full
/// softmax: each row's target competes with S negatives shared by the batch, drawn from a proposal
/// Q; every logit is corrected by −log Q(item) so the estimate of the full softmax stays unbiased
/// in expectation (Bengio &amp; Senécal; Yi et al. 2019). A negative equal to the row's target is masked.
/// </summary>
public static class SampledSoftmax
{
    /// <summary>
    /// h: (rows, d) hidden states; table: (items, d) output embeddings; targets: (rows);
    /// negatives: (S) item ids; logQ: (items) log proposal probabilities (all 0 = no correction).
    /// Returns Σ loss; writes dh (rows, d) and adds into dTable (items, d), both scaled by <paramref name="scale"/>.
    /// targetWeights: (items) or empty (all 1); a row whose target is t counts w[t] times (loss and gradient).
    /// scratch: at least S·d + rows·S + S floats.
    /// </summary>
    public static double ForwardBackward(ReadOnlySpan<float> h, ReadOnlySpan<float> table, ReadOnlySpan<int> targets, ReadOnlySpan<int> negatives,
        ReadOnlySpan<float> logQ, Span<float> dh, Span<float> dTable, Span<float> scratch, int rows, int d, float scale, ReadOnlySpan<float> targetWeights = default)
    {
        var s = negatives.Length;
        var neg = scratch[..(s * d)];                         // (S, d) gathered negative embeddings
        var z = scratch.Slice(s * d, rows * s);               // (rows, S) negative logits, then their gradients
        var dNeg = scratch.Slice(s * d + rows * s, s * d);    // (S, d) gradient of the gathered rows
        for (var j = 0; j < s; j++) table.Slice(negatives[j] * d, d).CopyTo(neg.Slice(j * d, d));
        Gemm.ABt(h[..(rows * d)], neg, z, rows, d, s);
        double loss = 0;
        for (var r = 0; r < rows; r++)
        {
            var t = targets[r];
            var hr = h.Slice(r * d, d);
            var zr = z.Slice(r * s, s);
            var pos = TensorPrimitives.Dot(hr, table.Slice(t * d, d)) - logQ[t];
            var max = pos;
            for (var j = 0; j < s; j++)
            {
                zr[j] = negatives[j] == t ? float.NegativeInfinity : zr[j] - logQ[negatives[j]];
                max = MathF.Max(max, zr[j]);
            }
            var ePos = MathF.Exp(pos - max);
            var sum = ePos;
            for (var j = 0; j < s; j++) sum += zr[j] = MathF.Exp(zr[j] - max);
            var w = targetWeights.IsEmpty ? 1f : targetWeights[t];
            loss += w * (Math.Log(sum) - (pos - max));
            var rowScale = scale * w;
            var dPos = (ePos / sum - 1) * rowScale;
            TensorPrimitives.Multiply(zr, rowScale / sum, zr);   // dz for negatives
            var dhr = dh.Slice(r * d, d);
            TensorPrimitives.Multiply(table.Slice(t * d, d), dPos, dhr);
            var dt = dTable.Slice(t * d, d);
            TensorPrimitives.MultiplyAdd(hr, dPos, dt, dt);
        }
        Gemm.AB(z, neg, dh[..(rows * d)], rows, s, d, accumulate: true);   // dh += dZ · Eneg
        Gemm.AtB(z, h[..(rows * d)], dNeg, s, rows, d);                    // dEneg = dZᵀ · H
        for (var j = 0; j < s; j++)
        {
            var dst = dTable.Slice(negatives[j] * d, d);
            TensorPrimitives.Add(dst, dNeg.Slice(j * d, d), dst);
        }
        return loss;
    }

    /// <summary>Plain double-precision twin: the loss only (Σ w[target]·loss with <paramref name="targetWeights"/>).</summary>
    public static double ReferenceLoss(ReadOnlySpan<float> h, ReadOnlySpan<float> table, ReadOnlySpan<int> targets, ReadOnlySpan<int> negatives, ReadOnlySpan<float> logQ, int rows, int d,
        ReadOnlySpan<float> targetWeights = default)
    {
        double loss = 0;
        for (var r = 0; r < rows; r++)
        {
            var t = targets[r];
            var logits = new List<double> { Logit(h, table, logQ, r, t, d) };
            foreach (var n in negatives) if (n != t) logits.Add(Logit(h, table, logQ, r, n, d));
            var max = logits.Max();
            loss += (targetWeights.IsEmpty ? 1.0 : targetWeights[t]) * (Math.Log(logits.Sum(v => Math.Exp(v - max))) + max - logits[0]);
        }
        return loss;
    }

    private static double Logit(ReadOnlySpan<float> h, ReadOnlySpan<float> table, ReadOnlySpan<float> logQ, int r, int item, int d)
    {
        double v = 0;
        for (var k = 0; k < d; k++) v += h[r * d + k] * table[item * d + k];
        return v - logQ[item];
    }
}
