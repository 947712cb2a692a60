using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;

namespace Merx.Evaluation.Tests;

/// <summary>
/// Two user groups, each consuming its own block of 8 items (seeded); items 0 and 8 are every
/// user's first item. Personalized models should beat popularity here.
/// </summary>
internal static class TestData
{
    public const int Items = 16;

    public static (Split Split, Item?[] Catalog) Create(int users = 60, int seed = 5)
    {
        var rng = new Random(seed);
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < users; u++)
        {
            var first = u % 2 == 0 ? 0 : 8;
            var others = Enumerable.Range(first + 1, 7).ToArray();
            rng.Shuffle(others);
            lists.Add([first, .. others.Take(5)]);
        }
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Tags = [i < 8 ? "a" : "b", "t" + i % 3] }).ToArray();
        return (split, catalog);
    }

    /// <summary>Training data (train + validation, the catalog) of <see cref="Create"/>.</summary>
    public static TrainingData Training(int users = 60, int seed = 5)
    {
        var (split, catalog) = Create(users, seed);
        return new TrainingData(split.Train, catalog, split.Validation);
    }

    /// <summary>Test NDCG@10 of a fitted <paramref name="model"/> and of popularity fitted on the same data (no bootstrap).</summary>
    public static (double Model, double Popularity) TestNdcgAgainstPopularity(IRecommender model, TrainingData data, IReadOnlyList<EvalCase> test)
    {
        var options = Merx.Evaluation.Metrics.EvaluationOptions.ForTraining(data.Train, data.Features) with { BootstrapResamples = 0 };
        var pop = new Merx.Models.Classic.Popularity();
        pop.Fit(data, FitOptions.Default);
        return (Merx.Evaluation.Metrics.Evaluator.Evaluate(model, test, options)["ndcg@10"], Merx.Evaluation.Metrics.Evaluator.Evaluate(pop, test, options)["ndcg@10"]);
    }
}

/// <summary>A real (if trivial) model: the same fixed score vector for every query.</summary>
internal sealed class FixedScores(float[] scores) : IRecommender
{
    public string Name => "fixed";
    public int ItemCount => scores.Length;
    public void Fit(TrainingData data, FitOptions options) { }
    public void Score(int user, ReadOnlySpan<int> history, Span<float> s) => scores.CopyTo(s);
    public ScoredItem[] SimilarItems(int item, int n) => [];
    public void Write(BinaryWriter writer) => throw new NotSupportedException();
}
