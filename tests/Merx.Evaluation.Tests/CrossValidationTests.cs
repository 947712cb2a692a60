using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;

namespace Merx.Evaluation.Tests;

public sealed class CrossValidationTests
{
    [Fact]
    public void UserFolds_HoldOutEachUserExactlyOnce()
    {
        var lists = Enumerable.Range(0, 23).Select(u => (IReadOnlyList<int>)Enumerable.Range(0, 3 + u % 4).Select(i => (u + i) % 10).ToArray()).ToList();
        var seq = UserSequences.FromLists(lists, 10);
        var folds = CrossValidation.UserFolds(seq, folds: 4, seed: 1);
        Assert.Equal(4, folds.Count);
        Assert.Equal(23, folds.Sum(f => f.Test.Count));
        foreach (var f in folds)
        {
            var heldOut = Enumerable.Range(0, 23).Where(u => f.Train.LengthOf(u) == 0).ToList();
            Assert.Equal(heldOut.Count, f.Test.Count);
            Assert.All(f.Test, c => Assert.Equal(-1, c.User));
            Assert.Equal(seq.EventCount - heldOut.Sum(u => seq.LengthOf(u)), f.Train.EventCount);
        }
        var inputs = folds.SelectMany(f => f.Test.Select(c => string.Join(",", c.Input) + ">" + c.Targets[0])).Order();
        var expected = Enumerable.Range(0, 23).Select(u => string.Join(",", lists[u].Take(lists[u].Count - 1)) + ">" + lists[u][^1]).Order();
        Assert.Equal(expected, inputs);
    }

    [Fact]
    public void UserFolds_PersonalizedModelBeatsPopularityOnHeldOutUsers()
    {
        var (split, catalog) = TestData.Create(users: 80);
        var full = UserSequences.FromLists(Enumerable.Range(0, split.Test.Count).Select(i => (IReadOnlyList<int>)split.Test[i].Input.Append(split.Test[i].Targets[0]).ToArray()).ToList(), TestData.Items);
        var fold = CrossValidation.UserFolds(full, folds: 4, seed: 3)[0];
        var knn = new ItemKnn(5, 1);
        knn.Fit(new TrainingData(fold.Train, catalog, fold.Validation), FitOptions.Default);
        var pop = new Popularity();
        pop.Fit(new TrainingData(fold.Train, catalog), FitOptions.Default);
        var options = new EvaluationOptions { BootstrapResamples = 0 };
        Assert.True(Evaluator.Evaluate(knn, fold.Test, options)["ndcg@10"] > Evaluator.Evaluate(pop, fold.Test, options)["ndcg@10"]);
    }
}
