using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Full-softmax cross-entropy over the catalog, in place: each row of logits becomes its gradient
/// (softmax − one-hot) · <c>scale</c>, and the row's loss −log softmax[target] is returned summed.
/// Rows whose target is −1 contribute nothing and get a zero gradient. With per-class weights (inverse-propensity
/// weighting of the targets), a row whose target is t counts w[t] times: its loss and its gradient are scaled by w[t].
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>logits: (rows, classes), overwritten by dlogits; targets: (rows); targetWeights: (classes) or empty (all 1). Returns Σ w·loss.</summary>
    public static double ForwardBackward(Span<float> logits, ReadOnlySpan<int> targets, int rows, int classes, float scale, ReadOnlySpan<float> targetWeights = default)
    {
        double loss = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * classes, classes);
            var t = targets[r];
            if (t < 0) { row.Clear(); continue; }
            var max = TensorPrimitives.Max(row);
            var target = row[t];
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            var sum = TensorPrimitives.Sum(row);
            var w = targetWeights.IsEmpty ? 1f : targetWeights[t];
            loss += w * (Math.Log(sum) - (target - max));
            var rowScale = scale * w;
            TensorPrimitives.Multiply(row, rowScale / sum, row);
            row[t] -= rowScale;
        }
        return loss;
    }

    /// <summary>As <see cref="ForwardBackward"/>, rows split across <paramref name="threads"/> cores when there are enough of them.</summary>
    public static double ForwardBackwardParallel(float[] logits, int[] targets, int targetOffset, int rows, int classes, float scale, int threads, float[]? targetWeights = null)
    {
        if (threads <= 1 || (long)rows * classes < 1_000_000) return ForwardBackward(logits.AsSpan(0, rows * classes), targets.AsSpan(targetOffset, rows), rows, classes, scale, targetWeights);
        return InParallel(logits, targets, targetOffset, rows, classes, scale, threads, targetWeights);
    }

    // Separate so the closure exists only on the parallel path.
    private static double InParallel(float[] logits, int[] targets, int targetOffset, int rows, int classes, float scale, int threads, float[]? targetWeights)
    {
        var per = (rows + threads - 1) / threads;
        var partial = new double[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var r0 = t * per; var r1 = Math.Min(rows, r0 + per);
            if (r1 > r0) partial[t] = ForwardBackward(logits.AsSpan(r0 * classes, (r1 - r0) * classes), targets.AsSpan(targetOffset + r0, r1 - r0), r1 - r0, classes, scale, targetWeights);
        });
        return partial.Sum();
    }

    /// <summary>Plain double-precision twin: the loss only (Σ w[target]·loss with <paramref name="targetWeights"/>).</summary>
    public static double ReferenceLoss(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int rows, int classes, ReadOnlySpan<float> targetWeights = default)
    {
        double loss = 0;
        for (var r = 0; r < rows; r++)
        {
            if (targets[r] < 0) continue;
            double max = double.NegativeInfinity, sum = 0;
            for (var j = 0; j < classes; j++) max = Math.Max(max, logits[r * classes + j]);
            for (var j = 0; j < classes; j++) sum += Math.Exp(logits[r * classes + j] - max);
            loss += (targetWeights.IsEmpty ? 1.0 : targetWeights[targets[r]]) * (Math.Log(sum) + max - logits[r * classes + targets[r]]);
        }
        return loss;
    }
}
