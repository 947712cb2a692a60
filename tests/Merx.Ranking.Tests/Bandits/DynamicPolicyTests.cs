using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

public sealed class DynamicPolicyTests
{
    private static BanditCandidate[] Many(int n) => Enumerable.Range(0, n).Select(i => new BanditCandidate(i, n - i, i % 25)).ToArray();

    private static BanditRequest NewUser => new() { UserKey = "new", HistoryLength = 0 };
    private static BanditRequest Regular => new() { UserKey = "old", HistoryLength = 150, RecentImpressions = 40, RecentClicks = 4, KnownCategories = new HashSet<int> { 0, 1, 2 } };

    [Fact]
    public void NewUser_ExploresMoreThanLongHistoryUser()
    {
        // A budget below the per-request cap, so neither user saturates it.
        var p = new DynamicPolicy(options: new DynamicOptions { Budget = 0.2 }, seed: 2);
        Assert.True(p.Need(NewUser) > p.Need(Regular));
        var c = Many(200);
        int exploredNew = 0, exploredOld = 0;
        for (var t = 0; t < 500; t++)
        {
            exploredNew += p.Select(NewUser, c, 10).ExploredCount;
            exploredOld += p.Select(Regular, c, 10).ExploredCount;
        }
        Assert.True(exploredNew > 2 * exploredOld, $"new user explored {exploredNew} slots, long-history user {exploredOld}");
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void ExploredShare_MeetsTheBudget(double budget)
    {
        var p = new DynamicPolicy(options: new DynamicOptions { Budget = budget }, seed: 3);
        var c = Many(200);
        var rng = new Random(4);
        for (var t = 0; t < 6000; t++)
        {
            // A skewed mix: 80% long-history users, so the raw need alone would under- or over-shoot.
            var request = rng.NextDouble() < 0.8 ? Regular : NewUser;
            p.Select(request, c, 10);
        }
        Assert.InRange(p.ExploredShare, budget - 0.02, budget + 0.02);
    }

    [Fact]
    public void Boredom_RaisesTheNeed()
    {
        var p = new DynamicPolicy(seed: 1);
        var engaged = Regular with { RecentImpressions = 30, RecentClicks = 6 };
        var bored = Regular with { RecentImpressions = 30, RecentClicks = 0 };
        Assert.True(p.Need(bored) > p.Need(engaged));
    }

    [Fact]
    public void DiscoverySlots_AimAtCategoriesTheUserHasNotShown()
    {
        var p = new DynamicPolicy(options: new DynamicOptions { DiscoveryShare = 1, Budget = 0.3 }, seed: 5);
        var c = Many(200);
        var known = Regular.KnownCategories!;
        int explored = 0, fresh = 0;
        for (var t = 0; t < 300; t++)
            foreach (var pick in p.Select(Regular, c, 10).Picks.Where(x => x.Explored))
            {
                explored++;
                if (!known.Contains(pick.Category)) fresh++;
            }
        Assert.True(explored > 0);
        Assert.Equal(explored, fresh);
    }

    [Fact]
    public void ExplorationSlots_StayBelowTheFirstExploreSlot()
    {
        var p = new DynamicPolicy(options: new DynamicOptions { Budget = 0.4 }, seed: 6);
        var c = Many(100);
        for (var t = 0; t < 200; t++)
        {
            var picks = p.Select(NewUser, c, 10).Picks;
            Assert.False(picks[0].Explored);
            Assert.False(picks[1].Explored);
        }
    }
}
