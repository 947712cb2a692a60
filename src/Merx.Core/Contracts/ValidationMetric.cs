using Merx.Core.Splits;

namespace Merx.Core.Contracts;

/// <summary>
/// The full-ranking NDCG@K that iterative models early-stop on. Kept here (not in
/// Merx.Evaluation) so models can select on validation without depending on the harness; the
/// harness computes the same figure and tests check they agree.
/// </summary>
public static class ValidationMetric
{
    /// <summary>
    /// Mean NDCG@<paramref name="k"/> over <paramref name="cases"/>, ranking each case's targets
    /// among all items not in its input. <paramref name="score"/> fills a score vector for a case.
    /// Ties count against the target (an item scoring equal to the target ranks above it).
    /// </summary>
    public static double Ndcg(IReadOnlyList<EvalCase> cases, int itemCount, Action<EvalCase, float[]> score, int k = 10)
    {
        if (cases.Count == 0) return 0;
        var scores = new float[itemCount];
        var total = 0.0;
        foreach (var c in cases)
        {
            score(c, scores);
            total += CaseNdcg(c, scores, k);
        }
        return total / cases.Count;
    }

    /// <summary>NDCG@k of one case given its full score vector (input items are excluded here).</summary>
    public static double CaseNdcg(EvalCase c, float[] scores, int k)
    {
        foreach (var i in c.Input) scores[i] = float.NegativeInfinity;
        var dcg = 0.0;
        foreach (var t in c.Targets)
        {
            var rank = RankOf(scores, t, c.Targets);
            if (rank < k) dcg += 1.0 / Math.Log2(rank + 2);
        }
        var idcg = 0.0;
        for (var r = 0; r < Math.Min(k, c.Targets.Length); r++) idcg += 1.0 / Math.Log2(r + 2);
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /// <summary>0-based rank of <paramref name="target"/>: how many non-target items score at least as high.</summary>
    public static int RankOf(ReadOnlySpan<float> scores, int target, ReadOnlySpan<int> otherTargets)
    {
        var s = scores[target];
        if (float.IsNaN(s)) return scores.Length;
        var rank = 0;
        for (var i = 0; i < scores.Length; i++)
            if (i != target && scores[i] >= s) rank++;
        foreach (var o in otherTargets)
            if (o != target && scores[o] >= s) rank--;
        return rank;
    }
}
