using Merx.Core.Domain;
using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Tests.Pipeline;

public sealed class RankingPipelineTests
{
    private const long Now = 2_000_000_000;
    private readonly CatalogIndex _catalog = TinyShop.Catalog();

    [Fact]
    public void Seen_out_of_stock_excluded_and_disallowed_items_never_come_back()
    {
        var pipeline = Pipelines.Build(_catalog);
        var history = TinyShop.History(Now, 3, 12);
        var baseline = pipeline.Run(new RankingRequest { UserKey = "u", History = history, N = 10, Now = Now });
        Assert.Equal(10, baseline.Items.Count);
        Assert.DoesNotContain(baseline.Items, r => r.Item is 3 or 12);

        var blocked = baseline.Items[0].Item;
        _catalog.SetInStock(blocked, false);
        try
        {
            var allowed = new HashSet<int>(Enumerable.Range(10, 10));
            var r = pipeline.Run(new RankingRequest { UserKey = "u", History = history, N = 5, Now = Now, Exclude = [13], Allowed = allowed });
            Assert.All(r.Items, i => Assert.Contains(i.Item, allowed));
            Assert.DoesNotContain(r.Items, i => i.Item == blocked || i.Item == 13 || i.Item == 12);
        }
        finally { _catalog.SetInStock(blocked, true); }
    }

    [Fact]
    public void A_new_user_gets_the_cold_start_path_from_trending()
    {
        var r = Pipelines.Build(_catalog).Run(new RankingRequest { UserKey = "new", N = 5, Now = Now });
        Assert.Equal("cold-start", r.Path);
        Assert.Equal(5, r.Items.Count);
        Assert.All(r.Items, i => Assert.Equal("trending", i.Source));
        Assert.StartsWith("popular in", r.Items[0].Reason);
    }

    [Fact]
    public void Session_activity_shifts_weight_from_the_long_term_model_to_neighbours()
    {
        var pipeline = Pipelines.Build(_catalog);
        // Last item in category 0; neighbours (next items) of item 9 are 10, 11 … in category 1.
        var old = TinyShop.History(Now, 30, 31, 9);
        var live = old.Select((e, k) => e with { Timestamp = Now - 60 * (old.Length - k) }).ToArray();
        var cold = pipeline.Run(new RankingRequest { UserKey = "u", History = old, N = 10, Now = Now });
        var hot = pipeline.Run(new RankingRequest { UserKey = "u", History = live, N = 10, Now = Now });
        Assert.Equal(0, cold.SessionShare);
        Assert.True(hot.SessionShare > 0.5);
        int FromNeighbours(RankingResult r) => r.Items.Count(i => i.Source == "itemknn");
        Assert.True(FromNeighbours(hot) > FromNeighbours(cold), $"session: {FromNeighbours(hot)} neighbour items, no session: {FromNeighbours(cold)}");
        Assert.Contains(hot.Items, i => i.Reason.StartsWith("because you viewed", StringComparison.Ordinal));
    }

    [Fact]
    public void Overload_and_tight_budgets_skip_the_expensive_source_and_report_it()
    {
        var pipeline = Pipelines.Build(_catalog);
        var history = TinyShop.History(Now, 1, 2);
        var full = pipeline.Run(new RankingRequest { UserKey = "u", History = history, N = 5, Now = Now });
        Assert.Equal("full", full.Path);
        var overloaded = pipeline.Run(new RankingRequest { UserKey = "u", History = history, N = 5, Now = Now, Overloaded = true });
        Assert.Equal("fast", overloaded.Path);
        Assert.Contains(overloaded.Stages, s => s.Stage == "transformer" && s.Skipped && s.Why == "server overloaded");
        Assert.Equal(5, overloaded.Items.Count);
        Assert.DoesNotContain(overloaded.Items, i => i.Source == "transformer");
        var tight = pipeline.Run(new RankingRequest { UserKey = "u", History = history, N = 5, Now = Now, LatencyBudget = TimeSpan.FromTicks(1) });
        Assert.Equal("fast", tight.Path);
    }

    [Fact]
    public void Mmr_diversifies_a_list_that_relevance_alone_would_fill_with_one_category()
    {
        var ranked = Enumerable.Range(0, 20).Select(i => new RankedItem(i, 20 - i, "x", "", false)).ToList(); // categories 0 and 1
        var relevanceOnly = Diversity.Mmr(_catalog, ranked, 5, 1f).Select(r => r.Item).ToArray();
        var diverse = Diversity.Mmr(_catalog, ranked, 5, 0.5f).Select(r => r.Item).ToArray();
        Assert.Equal([0, 1, 2, 3, 4], relevanceOnly);
        Assert.Equal(0, diverse[0]);
        Assert.True(Diversity.IntraListDiversity(_catalog, diverse) > Diversity.IntraListDiversity(_catalog, relevanceOnly));
    }

    /// <summary>An exploit re-ranking that serves the deepest items of the pool (as a learning policy may).</summary>
    private sealed class DeepestFirst : IExplorationStage
    {
        public string Name => "deepest";
        public double Apply(ExplorationInput input, Random random)
        {
            var deep = input.Pool.Skip(input.Slate.Count).Reverse().Take(input.Slate.Count).ToList();
            for (var i = 0; i < deep.Count; i++) input.Slate[i] = deep[i];
            return 0;
        }
    }

    [Fact]
    public void Every_served_item_is_explained_also_when_a_policy_serves_from_deep_in_the_pool()
    {
        // Fusion explains only the head of its list; whatever is served from further down is explained on the way out.
        var pipeline = Pipelines.Build(_catalog, new DeepestFirst());
        var r = pipeline.Run(new RankingRequest { UserKey = "u", History = TinyShop.History(Now, 3), N = 3, Now = Now, Seed = 1 });
        Assert.Equal(3, r.Items.Count);
        Assert.All(r.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Reason), $"item {i.Item} from {i.Source} has no reason"));
    }

    [Fact]
    public void Discovery_explores_more_for_short_histories_and_only_unseen_categories()
    {
        var stage = new DiscoveryExploration(baseRate: 0.1, coldRate: 0.5, shortHistory: 5);
        Assert.True(stage.Rate(0) > stage.Rate(2));
        Assert.Equal(0.1, stage.Rate(10), 6);
        var pipeline = Pipelines.Build(_catalog, stage);
        var history = TinyShop.History(Now, 1);
        var explored = 0;
        for (var seed = 0UL; seed < 50; seed++)
        {
            var r = pipeline.Run(new RankingRequest { UserKey = "u", History = history, N = 10, Now = Now, Seed = seed });
            Assert.Equal(10, r.Items.Count);
            Assert.Equal(10, r.Items.Select(i => i.Item).Distinct().Count());
            foreach (var e in r.Items.Where(i => i.Explored))
            {
                explored++;
                Assert.NotEqual(_catalog.Category(1), _catalog.Category(e.Item));
                Assert.StartsWith("something new for you", e.Reason);
                Assert.NotEqual(e, r.Items[0]);
            }
        }
        Assert.InRange(explored / 50.0, 0.3 * 10 * 0.6, 0.3 * 10 * 1.4); // rate 0.42 at one history item → ≈ 4.2 per list
    }

    [Fact]
    public void A_thread_reuses_its_scratch_maps_cleared_and_requests_in_turn_answer_as_each_alone()
    {
        var a = ThreadScratch<int, float>.Take(4);
        a[1] = 1f;
        var nested = ThreadScratch<int, float>.Take(4);   // taken while a is out: another map
        Assert.NotSame(a, nested);
        ThreadScratch<int, float>.Return(a);
        var again = ThreadScratch<int, float>.Take(4);
        Assert.Same(a, again);
        Assert.Empty(again);
        again.EnsureCapacity(70_000);
        ThreadScratch<int, float>.Return(again);             // grown too large: let go
        Assert.NotSame(again, ThreadScratch<int, float>.Take(4));

        // The pipeline's fusion and item-kNN maps come from the thread's scratch: a request answers the same after others
        // that filled them, as it does alone in a fresh pipeline.
        var requests = new[] { TinyShop.History(Now, 3, 12), TinyShop.History(Now, 30, 31, 9), TinyShop.History(Now, 5) }
            .Select((h, k) => new RankingRequest { UserKey = "u" + k, History = h, N = 10, Now = Now, Seed = 7 }).ToArray();
        var alone = requests.Select(r => Pipelines.Build(_catalog).Run(r).Items.Select(i => (i.Item, i.Reason)).ToArray()).ToArray();
        var shared = Pipelines.Build(_catalog);
        for (var round = 0; round < 2; round++)
            for (var k = 0; k < requests.Length; k++)
                Assert.Equal(alone[k], shared.Run(requests[k]).Items.Select(i => (i.Item, i.Reason)).ToArray());
    }
}

