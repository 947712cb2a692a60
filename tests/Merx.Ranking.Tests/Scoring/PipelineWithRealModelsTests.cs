using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Tests.Scoring;

/// <summary>The whole pipeline, with the production bandit stage, over the real Transformer and item-kNN (issue 16).</summary>
public class PipelineWithRealModelsTests(GeneratedShop shop) : IClassFixture<GeneratedShop>
{
    private RankingPipeline Pipeline(CatalogScorer scorer, IExplorationStage exploration)
    {
        var trending = new TrendingSource(Enumerable.Range(0, shop.Catalog.Count).Select(i => 1f + i % 17).ToArray());
        ICandidateSource[] sources = [new ModelSource("transformer", scorer), new NeighborSource(shop.KnnScorer()), trending];
        return new RankingPipeline(shop.Catalog, sources, trending, exploration);
    }

    [Fact]
    public void BanditStage_ReusesTheModelSourcesUserVector_AndMarksEveryExploredSlot()
    {
        var scorer = shop.Scorer(clusters: 12);
        var stage = new BanditExploration(BanditPolicies.CreateOver("egreedy:0.5", new ItemVectorSlot(scorer.Dimension), seed: 9), scorer);
        var explored = 0;
        var revisits = false;
        foreach (var u in new[] { 1, 8, 30, 55 })
        {
            var result = Pipeline(scorer, stage).Run(shop.Request(u, seed: (ulong)u));
            Assert.Equal(10, result.Items.Count);
            Assert.Equal(10, result.Items.Select(i => i.Item).Distinct().Count());
            Assert.True(result.UserVector is { } v && v.From(scorer));
            var trace = result.Trace!;
            // The bandit saw the very vector the model source made from the whole history (not a second
            // encoding of the deduplicated recent items, which differs for users who came back to an item).
            Assert.True(trace.Request.UserVector.Span == result.UserVector!.Value.Values.AsSpan());
            Assert.Equal(scorer.Encode(shop.Histories[u]).Values, result.UserVector.Value.Values);
            revisits |= shop.Histories[u].Distinct().Count() < shop.Histories[u].Length;
            Assert.Equal(trace.Picks.Select(p => p.Item), result.Items.Select(i => i.Item));
            for (var s = 0; s < 10; s++)
            {
                var item = result.Items[s];
                Assert.Equal(trace.Picks[s].Explored, item.Explored);
                if (item.Explored)
                {
                    Assert.Equal("explore", item.Source);
                    Assert.StartsWith("something new for you", item.Reason);
                }
                else Assert.NotEqual("explore", item.Source);
            }
            var count = result.Items.Count(i => i.Explored);
            Assert.Equal(count / 10.0, result.ExplorationRate, 12);
            explored += count;
        }
        Assert.InRange(explored, 1, 39);   // ε = 0.5 over 40 slots: some explore, not all
        Assert.True(revisits, "no user came back to an item: the reuse of the model source's vector is not pinned");
    }

    [Fact]
    public void FastPath_BanditStageEncodesTheRecentItems_ThroughTheSameScorer()
    {
        var scorer = shop.Scorer();
        var stage = new BanditExploration(BanditPolicies.CreateOver("linucb", new ItemVectorSlot(scorer.Dimension)), scorer);
        var request = shop.Request(12, overloaded: true);
        var result = Pipeline(scorer, stage).Run(request);
        Assert.Equal("fast", result.Path);
        Assert.Contains(result.Stages, s => s.Stage == "transformer" && s.Skipped);
        var recent = new List<int>();
        foreach (var c in shop.Histories[12].Reverse()) if (!recent.Contains(c)) recent.Add(c);
        recent.Reverse();
        Assert.Equal(scorer.Encode(recent.ToArray()).Values, result.UserVector!.Value.Values);
        // Before any feedback LinUCB serves the exploit order: nothing explored.
        Assert.DoesNotContain(result.Items, i => i.Explored);
        Assert.Equal(0, result.ExplorationRate);
    }

    [Fact]
    public void WithoutAVectorModel_TheBanditGetsNoUserVector()
    {
        var knn = shop.KnnScorer();
        var stage = new BanditExploration(BanditPolicies.Create("thompson"), knn);
        var result = Pipeline(knn, stage).Run(shop.Request(4));
        Assert.Null(result.UserVector);
        Assert.True(result.Trace!.Request.UserVector.IsEmpty);
        Assert.Equal(10, result.Items.Count);
    }
}
