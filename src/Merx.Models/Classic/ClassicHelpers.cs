using Merx.Core.Contracts;
using Merx.Core.Splits;

namespace Merx.Models.Classic;

/// <summary>Pieces several classic models share: validation subsampling and parallel validation NDCG.</summary>
internal static class ClassicHelpers
{
    /// <summary>
    /// At most <paramref name="max"/> validation cases (all when <paramref name="max"/> ≤ 0), a seeded uniform sample in
    /// case order when there are more. Also the federated trainer's; the plain trainer keeps its own draw, which the
    /// Transformer's published figures depend on.
    /// </summary>
    public static IReadOnlyList<EvalCase> Sample(IReadOnlyList<EvalCase> cases, int max, int seed)
    {
        if (max <= 0 || cases.Count <= max) return cases;
        var idx = Enumerable.Range(0, cases.Count).ToArray();
        new Random(seed).Shuffle(idx);
        return idx.Take(max).Order().Select(i => cases[i]).ToArray();
    }

    /// <summary>Mean full-ranking NDCG@k of <paramref name="model"/> on <paramref name="cases"/>, users in parallel.</summary>
    public static double ValidationNdcg(IRecommender model, IReadOnlyList<EvalCase> cases, int k = 10)
    {
        if (cases.Count == 0) return 0;
        var total = 0.0;
        var gate = new object();
        Parallel.For(0, cases.Count, () => (Scores: new float[model.ItemCount], Sum: 0.0), (i, _, local) =>
        {
            var c = cases[i];
            model.Score(c.User, c.Input, local.Scores);
            local.Sum += ValidationMetric.CaseNdcg(c, local.Scores, k);
            return local;
        }, local => { lock (gate) total += local.Sum; });
        return total / cases.Count;
    }

    /// <summary>Distinct items of a history, in first-seen order, ignoring indices outside 0..itemCount-1.</summary>
    public static int[] Distinct(ReadOnlySpan<int> history, int itemCount)
    {
        var seen = new HashSet<int>();
        var list = new List<int>(history.Length);
        foreach (var i in history)
            if ((uint)i < (uint)itemCount && seen.Add(i)) list.Add(i);
        return list.ToArray();
    }

    /// <summary>Top-n of a score vector after removing <paramref name="item"/> itself.</summary>
    public static ScoredItem[] TopExcluding(float[] scores, int item, int n)
    {
        if ((uint)item < (uint)scores.Length) scores[item] = float.NegativeInfinity;
        return TopK.Select(scores, n);
    }
}
