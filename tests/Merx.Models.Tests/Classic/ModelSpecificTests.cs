using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class ModelSpecificTests
{
    [Fact]
    public void Ease_RefusesCatalogAboveItemLimit()
    {
        var (data, _) = TwoBlockData.Create();
        var ex = Assert.Throws<InvalidOperationException>(() => new Ease(maxItems: 10).Fit(data, FitOptions.Default));
        Assert.Contains("limit is 10 items", ex.Message);
    }

    [Fact]
    public void Ease_PicksLambdaFromGridAndZeroesDiagonal()
    {
        var (data, _) = TwoBlockData.Create();
        var ease = new Ease([0.5f, 50f, 5000f]);
        ease.Fit(data, FitOptions.Default);
        Assert.Contains(ease.Lambda, ease.Lambdas);
        var scores = new float[ease.ItemCount];
        ease.Score(-1, [3], scores);
        Assert.Equal(0f, scores[3]);
    }

    [Fact]
    public void Ease_DefaultGridFollowsDataDensity()
    {
        var (data, _) = TwoBlockData.Create();
        var ease = new Ease();
        ease.Fit(data, FitOptions.Default);
        var meanDiag = data.Matrix.Values.Sum(v => (double)v * v) / data.ItemCount;
        Assert.Equal([0.8 * meanDiag, 3.2 * meanDiag, 12.8 * meanDiag], ease.Lambdas.Select(l => (double)l), new ToleranceComparer(1e-3));
        Assert.Contains(ease.Lambda, ease.Lambdas);
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double v) => 0;
    }

    [Fact]
    public void Content_RanksItemsNeverSeenInTraining()
    {
        var (data, _) = TwoBlockData.Create();
        var content = new ContentBased();
        content.Fit(data, FitOptions.Default);
        var scores = new float[content.ItemCount];
        content.Score(-1, [1, 2], scores);
        Assert.True(scores[16] > 0.9f, $"unseen item 16 (same attributes as the history) scored {scores[16]}");
        Assert.Equal(0f, scores[17]);
    }

    [Fact]
    public void Content_WeighsRecentItemsMore()
    {
        var catalog = new Item?[]
        {
            new Item { Id = "x", Brand = "old" }, new Item { Id = "y", Brand = "new" },
            new Item { Id = "x2", Brand = "old" }, new Item { Id = "y2", Brand = "new" },
        };
        var data = new TrainingData(UserSequences.FromLists([[0, 1]], 4), catalog);
        var content = new ContentBased(recencyDecay: 0.5f);
        content.Fit(data, FitOptions.Default);
        var top = content.Recommend(-1, [0, 1], 1);
        Assert.Equal(3, top[0].Item);
    }

    [Fact]
    public void Bpr_IsDeterministicForASeed()
    {
        var (data, _) = TwoBlockData.Create();
        float[] Run()
        {
            var m = new Bpr(factors: 4, maxEpochs: 5, patience: 5);
            m.Fit(data, new FitOptions { Seed = 11 });
            var s = new float[m.ItemCount];
            m.Score(-1, [1, 2], s);
            return s;
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Registry_CreatesAndNamesEveryModel()
    {
        foreach (var name in ModelRegistry.Names)
            Assert.Equal(name, ModelRegistry.Create(name).Name);
        Assert.Throws<ArgumentException>(() => ModelRegistry.Create("nope"));
    }

    [Fact]
    public void Hybrid_TuningNeverLowersValidationNdcg()
    {
        var (data, _) = TwoBlockData.Create();
        var untuned = new Hybrid([new Popularity(), new ItemKnn(5, 1)], tuneWeights: false);
        var tuned = new Hybrid([new Popularity(), new ItemKnn(5, 1)]);
        untuned.Fit(data, FitOptions.Default);
        tuned.Fit(data, FitOptions.Default);
        double Ndcg(IRecommender m) => ValidationMetric.Ndcg(data.Validation, m.ItemCount, (c, s) => m.Score(c.User, c.Input, s));
        Assert.True(Ndcg(tuned) >= Ndcg(untuned));
    }
}
