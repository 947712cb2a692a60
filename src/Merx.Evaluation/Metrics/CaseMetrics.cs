using Merx.Core.Contracts;

namespace Merx.Evaluation.Metrics;

/// <summary>
/// The ranking metrics of one case from the 0-based list positions of its targets. A target's
/// position counts the non-target candidates scoring at least as high (ties count against the
/// target, as in <see cref="ValidationMetric"/>) plus the targets ranked above it.
/// </summary>
public static class CaseMetrics
{
    /// <summary>Positions of <paramref name="targets"/> in the full ranking of <paramref name="scores"/> (excluded items set to −∞).</summary>
    public static int[] Positions(ReadOnlySpan<float> scores, int[] targets)
    {
        var targetScores = new float[targets.Length];
        for (var i = 0; i < targets.Length; i++) targetScores[i] = scores[targets[i]];
        var order = targets.Select((t, i) => (Score: targetScores[i], Item: t, Index: i))
            .OrderByDescending(x => float.IsNaN(x.Score) ? float.NegativeInfinity : x.Score).ThenBy(x => x.Item).ToArray();
        var pos = new int[targets.Length];
        for (var r = 0; r < order.Length; r++)
            pos[order[r].Index] = ValidationMetric.RankOf(scores, order[r].Item, targets) + r;
        return pos;
    }

    public static double Hit(int[] pos, int k) => pos.Any(p => p < k) ? 1 : 0;
    public static double Recall(int[] pos, int k) => pos.Length == 0 ? 0 : pos.Count(p => p < k) / (double)pos.Length;
    public static double Precision(int[] pos, int k) => pos.Count(p => p < k) / (double)k;

    public static double F1(int[] pos, int k)
    {
        double p = Precision(pos, k), r = Recall(pos, k);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public static double Ndcg(int[] pos, int k)
    {
        var dcg = pos.Where(p => p < k).Sum(p => 1 / Math.Log2(p + 2));
        var idcg = 0.0;
        for (var r = 0; r < Math.Min(k, pos.Length); r++) idcg += 1 / Math.Log2(r + 2);
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /// <summary>Reciprocal rank of the first target (no cut-off).</summary>
    public static double Mrr(int[] pos) => pos.Length == 0 ? 0 : 1.0 / (pos.Min() + 1);

    /// <summary>Average precision at k, normalised by min(k, |targets|).</summary>
    public static double AveragePrecision(int[] pos, int k)
    {
        var hits = pos.Where(p => p < k).Order().ToArray();
        if (hits.Length == 0) return 0;
        var sum = 0.0;
        for (var h = 0; h < hits.Length; h++) sum += (h + 1) / (double)(hits[h] + 1);
        return sum / Math.Min(k, pos.Length);
    }
}
