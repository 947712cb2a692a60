using Merx.Core.Contracts;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;

namespace Merx.Evaluation.Tests;

/// <summary>Popularity bias and miscalibration (issue 23, "Data bias") on hand-computed cases.</summary>
public class BiasMetricsTests
{
    [Fact]
    public void Head_IsTheTopTenPercentByTrainingUsers_WithItsShareOfInteractions()
    {
        // 11 items → ⌈1.1⌉ = 2 head items: item 3 (9 users) and item 10 (7); they hold 16 of 32 user–item pairs.
        int[] counts = [5, 0, 3, 9, 1, 1, 2, 0, 0, 4, 7];
        var (head, share) = ListMetrics.Head(counts);
        Assert.Equal([3, 10], Enumerable.Range(0, 11).Where(i => head[i]));
        Assert.Equal(0.5, share, 12);
        var lists = new ListMetrics(null, counts, 20);
        Assert.Equal(0.5, lists.HeadTrainingShare, 12);
        Assert.Equal(0.5, lists.HeadShare([3, 0, 10, 1]));
        Assert.Equal(0.0, lists.HeadShare([0, 1, 2]));
    }

    [Fact]
    public void Head_BreaksTiesByLowerItemIndex()
    {
        var (head, share) = ListMetrics.Head([2, 2, 1]);   // ⌈0.3⌉ = 1 head item
        Assert.Equal([true, false, false], head);
        Assert.Equal(0.4, share, 12);
    }

    [Fact]
    public void Miscalibration_IsStecksKlOfTheListAgainstTheHistory()
    {
        int[][] categories = [[0], [1], [0, 1]];
        var lists = new ListMetrics(null, null, 0, categories);
        var p = lists.HistoryDistribution([0, 2])!;
        Assert.Equal([0.75, 0.25], p);
        // q = (0, 1), q̃ = (0.0075, 0.9925): 0.75 ln(0.75/0.0075) + 0.25 ln(0.25/0.9925), computed in Python.
        Assert.Equal(3.109186115816294, lists.Miscalibration(p, [1]), 12);
        Assert.Equal(0.0, lists.Miscalibration(p, [0, 2]), 12);
        Assert.Null(new ListMetrics(null, null, 0, [[0], [], []]).HistoryDistribution([1, 2]));
        Assert.True(double.IsNaN(lists.Miscalibration(null, [1])));
    }

    [Fact]
    public void Calibrate_ReordersThePoolAndMovesTheTargetsWithIt()
    {
        // Items 0, 1 in category 0, items 2, 3 in category 1; history (½, ½); λ = 0.5 puts item 2 second (see CalibrationTests).
        int[][] categories = [[0], [0], [1], [1]];
        float[] scores = [1f, 0.9f, 0.8f, 0f];
        int[] targets = [1, 2, 3];
        var pos = CaseMetrics.Positions(scores, targets);
        Assert.Equal([1, 2, 3], pos);
        var top = Evaluator.Calibrate(scores, [0.5, 0.5], categories, k: 2, pool: 4, lambda: 0.5, pos, targets);
        Assert.Equal([0, 2], top);
        Assert.Equal([2, 1, 3], pos);   // full order 0, 2, 1, 3
    }

    [Fact]
    public void Evaluate_AtLambdaZero_MatchesTheModelOrder_AndCalibrationLowersMiscalibration()
    {
        var (split, catalog) = TestData.Create();
        var model = new Popularity();
        model.Fit(new TrainingData(split.Train, catalog), FitOptions.Default);
        // Category = the item's block (0–7 vs 8–15): each user's history lies in one block, popularity mixes both.
        var categories = Enumerable.Range(0, TestData.Items).Select(i => new[] { i < 8 ? 0 : 1 }).ToArray();
        var options = EvaluationOptions.ForTraining(split.Train) with { BootstrapResamples = 0, Categories = categories };
        var plain = Evaluator.Evaluate(model, split.Test, options);
        var zero = Evaluator.Evaluate(model, split.Test, options with { CalibrationLambda = 0 });
        var calibrated = Evaluator.Evaluate(model, split.Test, options with { CalibrationLambda = 0.9 });
        foreach (var m in new[] { "ndcg@10", "hr@5", "mrr", "head_share@10", "miscalibration@10" })
            Assert.Equal(plain[m], zero[m], 12);
        Assert.True(calibrated["miscalibration@5"] < plain["miscalibration@5"]);
        Assert.Equal(plain["head_train_share"], calibrated["head_train_share"]);
    }

    [Fact]
    public void Evaluate_RejectsCalibrationWithoutCategories()
    {
        var (split, catalog) = TestData.Create();
        var model = new Popularity();
        model.Fit(new TrainingData(split.Train, catalog), FitOptions.Default);
        var e = Assert.Throws<ArgumentException>(() => { Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BootstrapResamples = 0, CalibrationLambda = 0.5 }); });
        Assert.Contains("categories", e.Message);
    }
}
