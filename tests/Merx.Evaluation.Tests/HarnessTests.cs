using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Evaluation.Harness;
using Merx.Models.Classic;

namespace Merx.Evaluation.Tests;

public sealed class HarnessTests
{
    private static EvaluationRun Run()
    {
        var (split, catalog) = TestData.Create();
        return EvaluationRunner.Run(split, new EvaluationInputs("two-blocks", catalog),
            [("pop", () => new Popularity()), ("itemknn", () => new ItemKnn(5, 1)), ("bpr", () => new Bpr(factors: 4, maxEpochs: 5)),
             ("ease", () => new Ease(maxItems: 4))], seed: 3);
    }

    [Fact]
    public void Runner_FitsAndEvaluatesEveryModelOnTheSameSplit()
    {
        var run = Run();
        Assert.Equal(["pop", "itemknn", "bpr", "ease"], run.Models.Select(m => m.Name));
        Assert.True(run.Models[1].Result!["ndcg@10"] > run.Models[0].Result!["ndcg@10"]);
        Assert.Equal(5, run.Models[2].Epochs);
        Assert.Equal("5", run.Models[1].Params["neighbors"]);
        Assert.Null(run.Models[3].Result);
        Assert.Contains("limit is 4 items", run.Models[3].Error);
        Assert.Contains("itemknn", run.ToTable());
    }

    [Fact]
    public void A_cold_item_split_also_reports_each_fitted_model_on_the_test_cases_whose_target_was_not_hidden()
    {
        var (split, catalog) = TestData.Create();
        var cold = Merx.Core.Splits.Splitter.HideItems(split, 0.3, seed: 2);
        Assert.NotEmpty(cold.Test); Assert.NotEmpty(cold.WarmTest!);
        var run = EvaluationRunner.Run(cold, new EvaluationInputs("two-blocks", catalog), [("itemknn", () => new ItemKnn(5, 1))], seed: 3);
        Assert.Equal(["itemknn", "itemknn+warm"], run.Models.Select(m => m.Name));
        Assert.Equal(cold.Test.Count, run.Models[0].Result!.Cases);
        Assert.Equal(cold.WarmTest!.Count, run.Models[1].Result!.Cases);
        // item-kNN cannot place an item it never saw: nothing on the cold cases, the known ones ranked as usual.
        Assert.Equal(0, run.Models[0].Result!["ndcg@10"]);
        Assert.True(run.Models[1].Result!["ndcg@10"] > 0);
        // The models learn which items arrived after the training data: the hidden ones in this protocol, none in the plain one.
        var seen = new ArrivalsSeen();
        EvaluationRunner.Run(cold, new EvaluationInputs("two-blocks", catalog), [("seen", () => seen)], seed: 3);
        Assert.Equal(cold.Test.SelectMany(c => c.Targets).Distinct().Order(), seen.Arrivals!.Order());
        EvaluationRunner.Run(split, new EvaluationInputs("two-blocks", catalog), [("seen", () => seen)], seed: 3);
        Assert.Empty(seen.Arrivals!);
    }

    /// <summary>Keeps what the harness tells a model about new arrivals; scores nothing.</summary>
    private sealed class ArrivalsSeen : Merx.Core.Contracts.IRecommender
    {
        public IReadOnlySet<int>? Arrivals { get; private set; }
        public string Name => "seen";
        public int ItemCount { get; private set; }
        public void Fit(Merx.Core.Contracts.TrainingData data, Merx.Core.Contracts.FitOptions options) { Arrivals = data.NewArrivals; ItemCount = data.ItemCount; }
        public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => scores.Clear();
        public Merx.Core.Contracts.ScoredItem[] SimilarItems(int item, int n) => [];
        public void Write(BinaryWriter writer) { }
    }

    [Fact]
    public void Json_HasTheBenchmarkSchema()
    {
        var run = Run();
        using var ms = new MemoryStream();
        run.WriteJson(ms);
        using var doc = JsonDocument.Parse(ms.ToArray());
        var root = doc.RootElement;
        Assert.Equal("two-blocks", root.GetProperty("dataset").GetString());
        Assert.Equal("loo", root.GetProperty("protocol").GetString());
        Assert.Equal(60, root.GetProperty("users").GetInt32());
        Assert.Equal(16, root.GetProperty("items").GetInt32());
        var knn = root.GetProperty("models")[1];
        foreach (var key in new[] { "name", "ndcg@10", "hr@10", "ndcg@20", "mrr", "coverage@10", "diversity@10", "novelty@10", "train_seconds", "epochs", "seed", "params", "recall@5", "map@20" })
            Assert.True(knn.TryGetProperty(key, out _), key);
        var ci = knn.GetProperty("ndcg@10_ci");
        Assert.Equal(2, ci.GetArrayLength());
        Assert.True(ci[0].GetDouble() <= knn.GetProperty("ndcg@10").GetDouble());
        Assert.Equal(JsonValueKind.Null, knn.GetProperty("epochs").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("models")[3].GetProperty("ndcg@10").ValueKind);
    }

    [Fact]
    public void Html_DrawsSvgChartsForEveryModel()
    {
        var html = Run().ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.True(html.Split("<svg").Length - 1 >= 8);
        Assert.Contains(">itemknn<", html);
        Assert.Contains("training time", html);
    }

    [Fact]
    public void Tuner_ReturnsItsBestTrial()
    {
        var (split, catalog) = TestData.Create();
        var data = new TrainingData(split.Train, catalog, split.Validation);
        var result = Tuner.Search(data, [new ParameterRange("k", 1, 8, Integer: true), new ParameterRange("shrink", 0.1, 100)],
            p => new ItemKnn((int)p["k"], (float)p["shrink"]), trials: 6, budget: TimeSpan.FromMinutes(1), seed: 2);
        Assert.Equal(6, result.Trials.Count);
        var finalists = result.Trials.Where(t => t.ValidationCases == split.Validation.Count).ToList();
        Assert.NotEmpty(finalists);
        Assert.Equal(finalists.Max(t => t.ValidationNdcg), result.BestNdcg);
        // the returned parameters are those of the best finalist, not merely somewhere in the search space (issue 16)
        var best = finalists.First(t => t.ValidationNdcg == result.BestNdcg);
        Assert.Equal(best.Parameters["k"], result.Best["k"]);
        Assert.Equal(best.Parameters["shrink"], result.Best["shrink"]);
    }
    [Fact]
    public void Tuner_RandomSearch_ScoresEveryTrialOnAllValidation_AndKeepsTheBestModel()
    {
        var (split, catalog) = TestData.Create();
        var data = new TrainingData(split.Train, catalog, split.Validation);
        var space = SearchSpaces.For("itemknn", data);
        var result = Tuner.Search(data, space.Ranges, space.Create, trials: 5, budget: TimeSpan.FromMinutes(1), seed: 3, method: TunerMethod.Random);
        Assert.All(result.Trials, t => Assert.Equal(split.Validation.Count, t.ValidationCases));
        Assert.Equal(result.Trials.Max(t => t.ValidationNdcg), result.BestNdcg);
        var model = Assert.IsType<ItemKnn>(result.BestModel);
        Assert.Equal((int)result.Best["neighbors"], model.Neighbors);
        Assert.Equal(result.BestNdcg, ValidationMetric.Ndcg(split.Validation, model.ItemCount, (c, s) => model.Score(c.User, c.Input, s)), 9);
    }

    [Fact]
    public void SearchSpaces_CoverTheClassicModelsAndSasRec_AndRefuseUntunableOnes()
    {
        var (split, catalog) = TestData.Create();
        var data = new TrainingData(split.Train, catalog, split.Validation);
        foreach (var name in SearchSpaces.Names)
        {
            var space = SearchSpaces.For(name, data);
            var p = space.Ranges.ToDictionary(r => r.Name, r => r.Sample(new Random(1)));
            Assert.All(space.Ranges, r => Assert.InRange(p[r.Name], r.Min, r.Max));
            Assert.Equal(name, space.Create(p).Name);
        }
        Assert.Throws<ArgumentException>(() => SearchSpaces.For("pop", data));
        var dims = Enumerable.Range(0, 50).Select(i => new ParameterRange("dim", 16, 128, Integer: true, Step: 8).Sample(new Random(i))).ToList();
        Assert.All(dims, d => Assert.Equal(0, d % 8));
    }
}
