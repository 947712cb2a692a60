using System.Numerics.Tensors;
using Merx.Numerics;

namespace Merx.Models.Sequential;

public sealed partial class SasRec
{
    /// <summary>Relative margin on every computed norm, so float rounding can never let a user's share exceed C.</summary>
    internal const double NormSafety = 1e-3;

    /// <summary>
    /// One user's clip factor min(1, C/‖gᵤ‖) from the exact norm (see the class summary of the fast
    /// step), and that user's clipped transformer and input-embedding parts added to <paramref name="sum"/> (Total) and
    /// p.DRepsSum. The user's dZ rows are p.Z[r0..r0+rows), hidden states p.Batch.Hf, dH p.Batch.DH.
    /// s.DReps is all zeros on entry and on exit. Returns the factor (0 for a non-finite gradient).
    /// </summary>
    private float UserClipFactor(StepBuffers s, PrivateBuffers p, ReadOnlySpan<int> sequence, int r0, int rows, float clip, float[] sum)
    {
        var l = Layout; var d = l.D; var items = l.Items; var f = l.Features;
        var one = s.Net; var g = s.Grads; var dReps = s.DReps;
        // Transformer part and the input-side Sᵤ: a batch-of-one backward from the user's dH rows.
        PackOne(one, l.T, sequence);
        one.Forward(_params, _reps, 0, training: false);
        p.Batch.DH.AsSpan(r0 * d, rows * d).CopyTo(one.DH);
        g.AsSpan(l.PosEmb).Clear();
        one.Backward(_params, g, dReps);
        double total = TensorPrimitives.SumOfSquares(g.AsSpan(l.PosEmb));
        // ‖Oᵤ‖² and ‖AᵀOᵤ‖² from token-pair Gram sums.
        var h = p.Batch.Hf.AsSpan(r0 * d, rows * d);
        var z = p.Z.AsSpan(r0 * items, rows * items);
        var k = f > 0 ? p.K.AsSpan(r0 * f, rows * f) : default;
        // Items without their own id row (a private vocabulary) have no id gradient: ‖Oᵤ‖² sums over the id rows only,
        // from dZ with those items' columns zeroed (zm); the feature part AᵀOᵤ covers every item.
        var zm = z;
        if (p.IdMask is { } mask)
        {
            zm = p.ZMasked.AsSpan(0, rows * items);
            for (var t = 0; t < rows; t++) TensorPrimitives.Multiply(z.Slice(t * items, items), mask, zm.Slice(t * items, items));
        }
        for (var t = 0; t < rows; t++)
            for (var u = t; u < rows; u++)
            {
                var hh = (double)TensorPrimitives.Dot(h.Slice(t * d, d), h.Slice(u * d, d));
                var w = t == u ? 1.0 : 2.0;
                total += w * hh * TensorPrimitives.Dot(zm.Slice(t * items, items), zm.Slice(u * items, items));
                if (f > 0) total += w * hh * TensorPrimitives.Dot(k.Slice(t * f, f), k.Slice(u * f, f));
            }
        // Sᵤ rows (the distinct input items), their cross terms with Oᵤ, and AᵀSᵤ on the touched features.
        var inputs = one.Items.AsSpan(0, one.Tokens);
        var o = p.OneRow.AsSpan();
        var touched = 0;
        for (var j = 0; j < inputs.Length; j++)
        {
            var i = inputs[j];
            if (inputs[..j].Contains(i)) continue;
            var si = dReps.AsSpan(i * d, d);
            if (_trained[i])
            {
                total += TensorPrimitives.SumOfSquares(si);
                o.Clear();
                for (var t = 0; t < rows; t++) TensorPrimitives.MultiplyAdd(h.Slice(t * d, d), z[t * items + i], o, o); // Oᵤ row i
                total += 2.0 * TensorPrimitives.Dot(o, si);
            }
            int start = _featOffsets[i], cnt = _featOffsets[i + 1] - start;
            for (var m = 0; m < cnt; m++)
            {
                var fid = _featIds[start + m];
                if (!p.FeatTouched[fid]) { p.FeatTouched[fid] = true; p.FeatList[touched++] = fid; }
                var dst = p.FeatS.AsSpan(fid * d, d);
                TensorPrimitives.MultiplyAdd(si, 1f / cnt, dst, dst);
            }
        }
        for (var m = 0; m < touched; m++)
        {
            var fid = p.FeatList[m];
            var fs = p.FeatS.AsSpan(fid * d, d);
            total += TensorPrimitives.SumOfSquares(fs);
            o.Clear();
            for (var t = 0; t < rows; t++) TensorPrimitives.MultiplyAdd(h.Slice(t * d, d), k[t * f + fid], o, o); // (AᵀOᵤ) row fid
            total += 2.0 * TensorPrimitives.Dot(o, fs);
            fs.Clear();
            p.FeatTouched[fid] = false;
        }
        var norm = Math.Sqrt(Math.Max(0, total)) * (1 + NormSafety);
        var scale = !double.IsFinite(norm) ? 0f : norm > clip ? (float)(clip / norm) : 1f;
        // This user's clipped transformer part and Sᵤ rows; then s.DReps back to zeros.
        TensorPrimitives.MultiplyAdd(g.AsSpan(l.PosEmb), scale, sum.AsSpan(l.PosEmb), sum.AsSpan(l.PosEmb));
        for (var j = 0; j < inputs.Length; j++)
        {
            var si = dReps.AsSpan(inputs[j] * d, d);
            var dst = p.DRepsSum.AsSpan(inputs[j] * d, d);
            TensorPrimitives.MultiplyAdd(si, scale, dst, dst);
            si.Clear();                    // a repeated item's row is added once: it is zero by its second visit
        }
        return scale;
    }
}
