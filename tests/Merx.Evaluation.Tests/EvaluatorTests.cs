using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;

namespace Merx.Evaluation.Tests;

public sealed class EvaluatorTests
{
    [Fact]
    public void Ndcg_AgreesWithValidationMetric()
    {
        var (split, catalog) = TestData.Create();
        var model = new ItemKnn(5, 1);
        model.Fit(new TrainingData(split.Train, catalog, split.Validation), FitOptions.Default);
        var result = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BootstrapResamples = 0 });
        var expected = ValidationMetric.Ndcg(split.Test, model.ItemCount, (c, s) => model.Score(c.User, c.Input, s));
        Assert.Equal(expected, result["ndcg@10"], 10);
        Assert.Equal(split.Test.Count, result.Cases);
        Assert.Equal("full", result.Ranking);
    }

    [Fact]
    public void OracleScores_GiveKnownMetrics()
    {
        var scores = Enumerable.Range(0, 10).Select(i => (float)-i).ToArray();
        EvalCase[] cases = [new(0, [0], [1]), new(1, [], [3])];
        var r = Evaluator.Evaluate(new FixedScores(scores), cases, new EvaluationOptions { Ks = [1, 4], BootstrapResamples = 0 });
        Assert.Equal(0.5, r["hr@1"], 12);
        Assert.Equal(1.0, r["hr@4"], 12);
        Assert.Equal((1 + 0.25) / 2, r["mrr"], 12);
        Assert.Equal(0.5, r["coverage@4"], 12);
    }

    [Fact]
    public void BatchSize_DoesNotChangeResults()
    {
        var (split, catalog) = TestData.Create();
        var model = new Als(factors: 4, iterations: 3);
        model.Fit(new TrainingData(split.Train, catalog, split.Validation), FitOptions.Default);
        var a = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BatchSize = 1, BootstrapResamples = 50 });
        var b = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BatchSize = 64, BootstrapResamples = 50 });
        foreach (var (k, v) in a.Metrics) Assert.Equal(v, b.Metrics[k], 5);
    }

    [Fact]
    public void Bootstrap_IsSeededAndBracketsTheMean()
    {
        var (split, catalog) = TestData.Create();
        var model = new ItemKnn(5, 1);
        model.Fit(new TrainingData(split.Train, catalog, split.Validation), FitOptions.Default);
        var options = new EvaluationOptions { BootstrapResamples = 300, Seed = 9 };
        var a = Evaluator.Evaluate(model, split.Test, options);
        var b = Evaluator.Evaluate(model, split.Test, options);
        Assert.Equal(a.Intervals, b.Intervals);
        foreach (var (name, ci) in a.Intervals)
        {
            Assert.True(ci.Lo <= a[name] + 1e-12 && a[name] <= ci.Hi + 1e-12, $"{name}: {a[name]} outside [{ci.Lo}, {ci.Hi}]");
        }
        Assert.True(a.Intervals["ndcg@10"].Hi > a.Intervals["ndcg@10"].Lo);
    }

    [Fact]
    public void SampledRanking_IsLabelledAndNeverWorse()
    {
        var (split, catalog) = TestData.Create();
        var model = new Popularity();
        model.Fit(new TrainingData(split.Train, catalog), FitOptions.Default);
        var full = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BootstrapResamples = 0, Ks = [1, 10] });
        var sampled = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BootstrapResamples = 0, SampledNegatives = 3, Ks = [1, 10] });
        Assert.StartsWith("sampled", sampled.Ranking);
        Assert.DoesNotContain("ndcg@10", sampled.Metrics.Keys);
        Assert.True(sampled["sampled_ndcg@10"] >= full["ndcg@10"]);
        Assert.True(sampled["sampled_hr@1"] > full["hr@1"]);
    }

    [Fact]
    public void BeyondAccuracyMetrics_NeedTheirInputs()
    {
        var (split, catalog) = TestData.Create();
        var model = new Popularity();
        model.Fit(new TrainingData(split.Train, catalog), FitOptions.Default);
        var bare = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { BootstrapResamples = 0 });
        Assert.DoesNotContain("novelty@10", bare.Metrics.Keys);
        var full = Evaluator.Evaluate(model, split.Test, EvaluationOptions.ForTraining(split.Train, new TrainingData(split.Train, catalog).Features) with { BootstrapResamples = 0 });
        Assert.InRange(full["diversity@10"], 0, 1);
        Assert.True(full["novelty@10"] > 0);
        Assert.InRange(full["popbias@10"], 0.5, 1);
    }
}
