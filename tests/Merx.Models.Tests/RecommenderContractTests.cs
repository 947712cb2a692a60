using Merx.Core.Contracts;
using Merx.Core.Splits;

namespace Merx.Models.Tests;

/// <summary>
/// The contract every recommender passes (one subclass per model). Fitted on
/// <see cref="TwoBlockData"/>; personalized models must rank a user's own block first.
/// </summary>
public abstract class RecommenderContractTests
{
    private IRecommender? _model;
    private (TrainingData Data, Split Split)? _set;

    protected abstract IRecommender CreateModel();

    /// <summary>The data the model is fitted on; a model that reads more than the catalog (text vectors) adds it here.</summary>
    protected virtual TrainingData Prepare(TrainingData data) => data;

    private (TrainingData Data, Split Split) Set => _set ??= TwoBlockData.Create() is var (d, sp) ? (Prepare(d), sp) : default;

    /// <summary>False for models that give every user the same list (popularity).</summary>
    protected virtual bool Personalized => true;

    /// <summary>False for models whose item similarity is not learned from co-occurrence or content.</summary>
    protected virtual bool SimilarityFromBlocks => true;

    protected IRecommender Model => _model ??= Fitted();
    protected Split Split => Set.Split;

    private IRecommender Fitted()
    {
        var m = CreateModel();
        m.Fit(Set.Data, new FitOptions { Seed = 3 });
        return m;
    }

    private EvalCase CaseOf(int user) => Split.Test.Single(c => c.User == user);

    [Fact]
    public void ScoresEveryItem() => Assert.Equal(TwoBlockData.Items, Model.ItemCount);

    [Fact]
    public void KnownAnswer_UserGetsOwnBlockFirst()
    {
        foreach (var user in new[] { 1, 5, 13, 20 })
        {
            var c = CaseOf(user);
            var top = Model.Recommend(user, c.Input, 2);
            Assert.Equal(2, top.Length);
            if (Personalized)
                Assert.All(top, s => Assert.True(user < 12 ? TwoBlockData.InA(s.Item) : TwoBlockData.InB(s.Item), $"user {user} got item {s.Item}"));
            else
                Assert.Equal(MostPopularUnseen(c.Input), top[0].Item);
        }
    }

    private int MostPopularUnseen(int[] input)
    {
        var counts = new int[TwoBlockData.Items];
        foreach (var i in Split.Train.Items) counts[i]++;
        return Enumerable.Range(0, counts.Length).Where(i => !input.Contains(i)).OrderByDescending(i => counts[i]).ThenBy(i => i).First();
    }

    [Fact]
    public void UnknownUser_IsScoredFromHistoryAlone()
    {
        var a = Model.Recommend(-1, [1, 2], 2);
        var b = Model.Recommend(-1, [9, 10], 2);
        Assert.Equal(2, a.Length);
        if (!Personalized) { Assert.Equal(a, b); return; }
        Assert.All(a, s => Assert.True(TwoBlockData.InA(s.Item), $"history in A got {s.Item}"));
        Assert.All(b, s => Assert.True(TwoBlockData.InB(s.Item), $"history in B got {s.Item}"));
    }

    [Fact]
    public void BatchScoring_EqualsSingleCalls()
    {
        var cases = Split.Test.Take(6).ToArray();
        int[] users = [.. cases.Select(c => c.User), -1, -1];
        int[][] histories = [.. cases.Select(c => c.Input), [2, 3], []];
        var n = Model.ItemCount;
        var batch = new float[users.Length * n];
        Model.ScoreBatch(users, histories, batch);
        var single = new float[n];
        for (var r = 0; r < users.Length; r++)
        {
            Model.Score(users[r], histories[r], single);
            // relative, not "4 decimal places": rounding both sides fails on values 1e-7 apart that straddle a rounding boundary
            for (var i = 0; i < n; i++) Assert.Equal(single[i], batch[r * n + i], 1e-5 * Math.Max(1, Math.Abs(single[i])));
        }
    }

    [Fact]
    public void Filters_AreHonoured()
    {
        var c = CaseOf(3);
        var all = Model.Recommend(3, c.Input, TwoBlockData.Items);
        Assert.DoesNotContain(all, s => c.Input.Contains(s.Item));
        var withSeen = Model.Recommend(3, c.Input, TwoBlockData.Items, RecommendFilter.None);
        Assert.Equal(TwoBlockData.Items, withSeen.Length);
        var excluded = Model.Recommend(3, c.Input, TwoBlockData.Items, new RecommendFilter { ExcludeItems = [all[0].Item] });
        Assert.DoesNotContain(excluded, s => s.Item == all[0].Item);
        var allowed = Model.Recommend(3, c.Input, 5, new RecommendFilter { AllowedItems = new HashSet<int> { 9, 10, 17 } });
        Assert.NotEmpty(allowed);
        Assert.All(allowed, s => Assert.Contains(s.Item, new[] { 9, 10, 17 }));
    }

    [Fact]
    public void Scores_AreFinite()
    {
        var scores = new float[Model.ItemCount];
        foreach (var (user, history) in new (int, int[])[] { (0, CaseOf(0).Input), (-1, [4]), (-1, []), (-1, [0, 0, 17, 8]), (15, []) })
        {
            Model.Score(user, history, scores);
            Assert.All(scores, s => Assert.True(float.IsFinite(s), $"score {s} for user {user}"));
        }
    }

    [Fact]
    public void SaveLoad_RoundTripGivesIdenticalScores()
    {
        var path = Path.Combine(Path.GetTempPath(), $"merx-contract-{Guid.NewGuid():N}.model");
        try
        {
            ModelFile.Save(path, Model);
            var loaded = ModelRegistry.Load(path);
            Assert.Equal(Model.Name, loaded.Name);
            Assert.Equal(Model.ItemCount, loaded.ItemCount);
            foreach (var (user, history) in new (int, int[])[] { (2, CaseOf(2).Input), (-1, [9, 11]), (18, CaseOf(18).Input) })
            {
                var before = new float[Model.ItemCount]; var after = new float[Model.ItemCount];
                Model.Score(user, history, before);
                loaded.Score(user, history, after);
                Assert.Equal(before, after);
            }
            Assert.Equal(Model.SimilarItems(1, 5), loaded.SimilarItems(1, 5));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SimilarItems_ExcludeTheItemItself()
    {
        foreach (var item in new[] { 0, 3, 9 })
        {
            var similar = Model.SimilarItems(item, 5);
            Assert.NotEmpty(similar);
            Assert.DoesNotContain(similar, s => s.Item == item);
            Assert.True(similar.Length <= 5);
            for (var r = 1; r < similar.Length; r++) Assert.True(similar[r - 1].Score >= similar[r].Score);
            if (SimilarityFromBlocks)
                Assert.Equal(TwoBlockData.InA(item), TwoBlockData.InA(similar[0].Item));
        }
    }
}
