using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.Tests;

public sealed class CaseMetricsTests
{
    [Fact]
    public void SingleTarget_KnownValues()
    {
        int[] pos = [3];
        Assert.Equal(1.0, CaseMetrics.Hit(pos, 5));
        Assert.Equal(0.0, CaseMetrics.Hit(pos, 3));
        Assert.Equal(1 / Math.Log2(5), CaseMetrics.Ndcg(pos, 10), 12);
        Assert.Equal(0.25, CaseMetrics.Mrr(pos), 12);
        Assert.Equal(0.25, CaseMetrics.AveragePrecision(pos, 10), 12);
        Assert.Equal(0.1, CaseMetrics.Precision(pos, 10), 12);
        Assert.Equal(2 * 0.1 * 1 / 1.1, CaseMetrics.F1(pos, 10), 12);
    }

    [Fact]
    public void MultipleTargets_KnownValues()
    {
        int[] pos = [0, 2, 7];
        Assert.Equal(2 / 3.0, CaseMetrics.Recall(pos, 5), 12);
        Assert.Equal((1 + 1 / Math.Log2(4)) / (1 + 1 / Math.Log2(3) + 1 / Math.Log2(4)), CaseMetrics.Ndcg(pos, 5), 12);
        Assert.Equal((1 + 2 / 3.0) / 3, CaseMetrics.AveragePrecision(pos, 5), 12);
    }

    [Fact]
    public void Positions_CountTiesAgainstTargetAndTargetsAhead()
    {
        float[] scores = [0.9f, 0.5f, 0.5f, 0.1f, float.NegativeInfinity];
        Assert.Equal([2], CaseMetrics.Positions(scores, [2]));
        Assert.Equal([3, 0], CaseMetrics.Positions(scores, [3, 0]));
        Assert.Equal([2, 1], CaseMetrics.Positions(scores, [2, 1]));
    }

    [Fact]
    public void ListMetrics_DiversityNoveltyPopularity()
    {
        var features = new Merx.Core.Data.ItemFeatures(new Merx.Core.Data.IdMap(["x", "y", "z"]), [0, 1, 2, 4], [0, 0, 1, 2]);
        var lists = new ListMetrics(features, [10, 10, 1], 10);
        Assert.Equal(0.0, lists.Diversity([0, 1]), 12);
        Assert.Equal(1.0, lists.Diversity([0, 2]), 12);
        Assert.Equal(-Math.Log2(2 / 11.0), lists.Novelty([2]), 12);
        Assert.True(lists.PopularityBias([0]) > lists.PopularityBias([2]));
    }
}
