using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;
using Merx.Tests.Shared;

namespace Merx.Evaluation.Tests;

/// <summary>
/// Guards the harness and item-kNN against regressions on real data (skips where
/// ../shared/datasets/amazon-beauty is absent). The band is the measured figure (0.0353,
/// bench/results/classic-beauty.md) ± a margin for refactorings that change tie-breaking.
/// </summary>
public sealed class BeautyRealDataTests
{
    [RealDataFact("amazon-beauty/Beauty.txt")]
    public void ItemKnn_OnBeautyLeaveOneOut_MatchesTheBenchmarkFigure()
    {
        var items = new IdMap();
        var lists = File.ReadLines(RealData.PathOf("amazon-beauty/Beauty.txt")!)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length > 1)
            .Select(p => (IReadOnlyList<int>)p.Skip(1).Select(items.GetOrAdd).ToArray())
            .ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, items.Count));
        var knn = new ItemKnn();
        knn.Fit(new TrainingData(split.Train, null, split.Validation), FitOptions.Default);
        var pop = new Popularity();
        pop.Fit(new TrainingData(split.Train), FitOptions.Default);
        var options = new EvaluationOptions { BootstrapResamples = 0, Ks = [10] };
        var knnNdcg = Evaluator.Evaluate(knn, split.Test, options)["ndcg@10"];
        var popNdcg = Evaluator.Evaluate(pop, split.Test, options)["ndcg@10"];
        Assert.Equal(22363, split.Test.Count);
        Assert.InRange(knnNdcg, 0.030, 0.040);
        Assert.InRange(popNdcg, 0.003, 0.008);
    }
}
