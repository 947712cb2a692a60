using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;

namespace Merx.Evaluation.Tests;

/// <summary>Issue #4: `merx evaluate --cv-folds K` reports every metric as mean ± sd over K user folds.</summary>
public sealed class CrossValidationRunnerTests
{
    private static EvaluationRun Fold(double ndcg, double hr, bool fails = false)
    {
        var run = new EvaluationRun("d", "fold", 10, 5);
        var result = new EvaluationResult("full", 4, new Dictionary<string, double> { ["ndcg@10"] = ndcg, ["hr@10"] = hr }, new Dictionary<string, Interval>(), 1, 4);
        run.Models.Add(new ModelRunResult("m", fails ? null : result, 2, 6, 42, new Dictionary<string, string>(), fails ? "boom" : null));
        return run;
    }

    [Fact]
    public void Summarize_GivesMeanSampleSdAndTInterval_PerMetric()
    {
        var summary = CrossValidationRunner.Summarize([Fold(0.1, 0.2), Fold(0.2, 0.4), Fold(0.3, 0.3)], "cv");
        Assert.Equal(3, summary.Folds);
        var m = Assert.Single(summary.Models);
        Assert.Equal(0.2, m.Result!.Metrics["ndcg@10"], 12);
        Assert.Equal(0.1, m.Sd!["ndcg@10"], 12);               // sample sd of 0.1, 0.2, 0.3
        Assert.Equal(0.3, m.Result.Metrics["hr@10"], 12);
        Assert.Equal(0.1, m.Sd["hr@10"], 12);
        var ci = m.Result.Intervals["ndcg@10"];
        Assert.Equal(0.2 + 4.303 * 0.1 / Math.Sqrt(3), ci.Hi, 9); // t(0.975, 2 df) = 4.303
        Assert.Equal(12, m.Result.Cases);
        Assert.Equal(3, m.Folds);
    }

    [Fact]
    public void Summarize_ReportsAModelFailedInAnyFoldAsFailed()
    {
        var m = Assert.Single(CrossValidationRunner.Summarize([Fold(0.1, 0.2), Fold(0.2, 0.4, fails: true)], "cv").Models);
        Assert.Null(m.Result);
        Assert.Equal("boom", m.Error);
    }

    [Fact]
    public void StudentT_MatchesTheTableAndItsLargeSampleLimit()
    {
        // Abramowitz & Stegun Table 26.10: t(0.975) at 1, 10, 40, 60, 120 degrees of freedom.
        Assert.Equal(12.706, CrossValidationRunner.StudentT975(1), 3);
        Assert.Equal(2.228, CrossValidationRunner.StudentT975(10), 3);
        Assert.Equal(2.021, CrossValidationRunner.StudentT975(40), 3);
        Assert.Equal(2.000, CrossValidationRunner.StudentT975(60), 3);
        Assert.Equal(1.980, CrossValidationRunner.StudentT975(120), 3);
    }

    [Fact]
    public void Run_TrainsAndMeasuresEveryModelOncePerFold_AndWritesMeansWithSd()
    {
        var (split, catalog) = TestData.Create(users: 90);
        // Every user of the leave-one-out split has a test case whose input plus target is the whole sequence.
        var full = UserSequences.FromLists(split.Test.OrderBy(c => c.User).Select(c => (IReadOnlyList<int>)[.. c.Input, c.Targets[0]]).ToList(), TestData.Items);
        var fits = 0;
        var run = CrossValidationRunner.Run(full, 3, new EvaluationInputs("two-blocks", catalog),
            [("pop", () => { fits++; return new Popularity(); }), ("itemknn", () => new ItemKnn(5, 1))], new FitOptions { Seed = 3 });
        Assert.Equal(3, fits);
        Assert.Equal(3, run.Folds);
        Assert.Equal(["pop", "itemknn"], run.Models.Select(m => m.Name));
        Assert.Equal(90, run.Models[0].Result!.Cases);
        Assert.True(run.Models[1].Result!.Metrics["ndcg@10"] > run.Models[0].Result!.Metrics["ndcg@10"], "item-kNN should beat popularity on two item blocks");
        using var ms = new MemoryStream();
        run.WriteJson(ms);
        var root = JsonDocument.Parse(ms.ToArray()).RootElement;
        Assert.Equal(3, root.GetProperty("folds").GetInt32());
        var knn = root.GetProperty("models")[1];
        Assert.Equal(3, knn.GetProperty("folds").GetInt32());
        Assert.True(knn.GetProperty("ndcg@10_sd").GetDouble() >= 0);
        Assert.Equal(2, knn.GetProperty("ndcg@10_ci").GetArrayLength());
        Assert.Contains("±", run.ToTable());
    }
}
