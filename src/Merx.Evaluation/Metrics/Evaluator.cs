using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Models;
using Merx.Ranking.Pipeline;

namespace Merx.Evaluation.Metrics;

/// <summary>
/// Scores every case (batched through <see cref="BatchScoring.ScoreBatch"/>, batches spread over
/// all cores with one score buffer per thread), ranks its targets among all items not in its
/// input, and averages the per-user metrics with seeded bootstrap 95% intervals.
/// </summary>
public static class Evaluator
{
    private const long MaxBufferFloats = 16L << 20;

    public static EvaluationResult Evaluate(IRecommender model, IReadOnlyList<EvalCase> cases, EvaluationOptions? options = null)
    {
        options ??= new EvaluationOptions();
        var ks = options.Ks.Distinct().Order().ToArray();
        if (ks.Length == 0 || ks[0] < 1) throw new ArgumentException("need at least one K ≥ 1", nameof(options));
        var maxK = ks[^1];
        var n = model.ItemCount;
        var lists = new ListMetrics(options.Features, options.ItemUserCounts, options.TrainingUsers, options.Categories);
        if (options.CalibrationLambda is { } lambda && (!lists.HasCalibration || lambda is < 0 or > 1 || double.IsNaN(lambda)))
            throw new ArgumentException(lists.HasCalibration ? $"calibration λ {lambda} is not in [0, 1]" : "calibrated re-ranking needs item categories, and this catalog has none", nameof(options));
        var names = MetricNames(ks, lists);
        var values = names.Select(_ => new double[cases.Count]).ToArray();
        var tops = new int[cases.Count][];
        var clock = Stopwatch.StartNew();
        // Each worker holds a (batch × items) score buffer: cap it at 16M floats (64 MB) and the workers at
        // the core count, or a 1M-item catalog asks for 256 MB per thread-pool thread (seen: out of memory).
        var batch = (int)Math.Clamp(Math.Min(options.BatchSize, MaxBufferFloats / Math.Max(1, n)), 1, Math.Max(1, options.BatchSize));
        var batches = (cases.Count + batch - 1) / batch;
        var workers = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = workers };
        Parallel.For(0, batches, parallel, () => new float[(long)batch * n], (b, _, buffer) =>
        {
            var start = b * batch; var count = Math.Min(batch, cases.Count - start);
            var users = new int[count]; var histories = new int[count][];
            for (var r = 0; r < count; r++) { users[r] = cases[start + r].User; histories[r] = cases[start + r].Input; }
            model.ScoreBatch(users, histories, buffer.AsSpan(0, count * n));
            for (var r = 0; r < count; r++)
            {
                var c = start + r;
                var scores = buffer.AsSpan(r * n, n);
                foreach (var i in cases[c].Input) if ((uint)i < (uint)n) scores[i] = float.NegativeInfinity;
                if (options.SampledNegatives is { } neg) KeepSample(scores, cases[c], neg, options.Seed, c);
                var pos = CaseMetrics.Positions(scores, cases[c].Targets);
                var history = lists.HasCalibration ? lists.HistoryDistribution(cases[c].Input) : null;
                if (options.CalibrationLambda is { } l && history is not null)
                    tops[c] = Calibrate(scores, history, lists.Categories!, maxK, Math.Max(maxK, options.CalibrationCandidates), l, pos, cases[c].Targets);
                else
                    tops[c] = TopK.Select(scores, maxK).Select(s => s.Item).ToArray();
                Fill(values, c, pos, tops[c], ks, lists, history);
            }
            return buffer;
        }, _ => { });
        var seconds = clock.Elapsed.TotalSeconds;
        var prefix = options.SampledNegatives is null ? "" : "sampled_";
        var metrics = new Dictionary<string, double>(); var intervals = new Dictionary<string, Interval>();
        for (var m = 0; m < names.Count; m++) metrics[prefix + names[m]] = Bootstrap.Mean(values[m]);
        if (lists.HasPopularity) metrics[prefix + "head_train_share"] = lists.HeadTrainingShare;
        foreach (var (name, ci) in Bootstrap.MeanIntervals(names, values, options.BootstrapResamples, options.Seed))
            intervals[prefix + name] = ci;
        foreach (var k in ks)
        {
            var (coverage, ci) = Bootstrap.Coverage(tops, k, n, options.BootstrapResamples, options.Seed);
            metrics[prefix + $"coverage@{k}"] = coverage;
            if (options.BootstrapResamples > 0) intervals[prefix + $"coverage@{k}"] = ci;
        }
        var ranking = options.SampledNegatives is { } s ? $"sampled ({s} negatives)" : "full";
        var kb = ks.Contains(10) ? 10 : maxK;
        var byPopularity = options.ItemUserCounts is { } counts && options.SampledNegatives is null
            ? TargetPopularity.Split(cases, counts, values[names.IndexOf($"ndcg@{kb}")], values[names.IndexOf($"hr@{kb}")], kb) : null;
        return new EvaluationResult(ranking, cases.Count, metrics, intervals, seconds, cases.Count / Math.Max(seconds, 1e-9)) { ByTargetPopularity = byPopularity, TopLists = options.KeepTopLists ? tops : null };
    }

    private static List<string> MetricNames(int[] ks, ListMetrics lists)
    {
        var names = new List<string>();
        foreach (var k in ks)
        {
            names.AddRange([$"hr@{k}", $"recall@{k}", $"precision@{k}", $"f1@{k}", $"ndcg@{k}", $"map@{k}"]);
            if (lists.HasDiversity) names.Add($"diversity@{k}");
            if (lists.HasPopularity) names.AddRange([$"novelty@{k}", $"popbias@{k}", $"head_share@{k}"]);
            if (lists.HasCalibration) names.Add($"miscalibration@{k}");
        }
        names.Add("mrr");
        return names;
    }

    private static void Fill(double[][] values, int c, int[] pos, int[] top, int[] ks, ListMetrics lists, double[]? history)
    {
        var m = 0;
        foreach (var k in ks)
        {
            values[m++][c] = CaseMetrics.Hit(pos, k);
            values[m++][c] = CaseMetrics.Recall(pos, k);
            values[m++][c] = CaseMetrics.Precision(pos, k);
            values[m++][c] = CaseMetrics.F1(pos, k);
            values[m++][c] = CaseMetrics.Ndcg(pos, k);
            values[m++][c] = CaseMetrics.AveragePrecision(pos, k);
            var list = top.AsSpan(0, Math.Min(k, top.Length));
            if (lists.HasDiversity) values[m++][c] = lists.Diversity(list);
            if (lists.HasPopularity) { values[m++][c] = lists.Novelty(list); values[m++][c] = lists.PopularityBias(list); values[m++][c] = lists.HeadShare(list); }
            if (lists.HasCalibration) values[m++][c] = lists.Miscalibration(history, list);
        }
        values[m][c] = CaseMetrics.Mrr(pos);
    }

    /// <summary>
    /// Re-ranks the model's best <paramref name="pool"/> items by <see cref="Calibration.Rerank"/> into
    /// the first <paramref name="k"/> slots, the rest of the pool following in model order, and moves
    /// the targets' positions (<paramref name="pos"/>, in place) by as many places as they moved; targets
    /// outside the pool keep their model positions, which are already ≥ the pool size. Returns the top k.
    /// </summary>
    public static int[] Calibrate(ReadOnlySpan<float> scores, double[] history, IReadOnlyList<int[]> categories, int k, int pool, double lambda, int[] pos, int[] targets)
    {
        var best = TopK.Select(scores, pool);
        var items = best.Select(s => s.Item).ToArray();
        var picked = Calibration.Rerank(items, best.Select(s => s.Score).ToArray(), categories, history, k, lambda);
        var order = new List<int>(items.Length);
        var taken = new bool[items.Length];
        foreach (var p in picked) { order.Add(items[p]); taken[p] = true; }
        for (var i = 0; i < items.Length; i++) if (!taken[i]) order.Add(items[i]);
        // A target keeps the tie penalty CaseMetrics.Positions gave it (its position minus its index in the model's order), so λ = 0 changes nothing.
        for (var t = 0; t < targets.Length; t++)
            if (order.IndexOf(targets[t]) is var at and >= 0) pos[t] += at - Array.IndexOf(items, targets[t]);
        return order.Take(k).ToArray();
    }

    /// <summary>Sampled ranking: keeps the targets and <paramref name="negatives"/> seeded random non-input items, −∞ elsewhere.</summary>
    private static void KeepSample(Span<float> scores, EvalCase c, int negatives, int seed, int caseIndex)
    {
        var n = scores.Length;
        var keep = new HashSet<int>(c.Targets);
        var excluded = new HashSet<int>(c.Input);
        var available = n - excluded.Count - keep.Count;
        var rng = new Random(Bootstrap.Mix(seed, caseIndex, c.User));
        var want = Math.Min(negatives, Math.Max(0, available));
        var chosen = new HashSet<int>();
        while (chosen.Count < want)
        {
            var j = rng.Next(n);
            if (!excluded.Contains(j) && !keep.Contains(j)) chosen.Add(j);
        }
        keep.UnionWith(chosen);
        for (var i = 0; i < n; i++)
            if (!keep.Contains(i)) scores[i] = float.NegativeInfinity;
    }
}
