using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

public sealed class PolicyConvergenceTests
{
    private const int Rounds = 4000;

    [Theory]
    [InlineData("thompson")]
    [InlineData("thompson-seg")]
    [InlineData("ucb")]
    [InlineData("egreedy")]
    [InlineData("dynamic:0.2")]
    public void ItemPolicies_FindTheHiddenBestArm(string name)
    {
        var share = BanditTestKit.BestArmShare(BanditPolicies.Create(name, seed: 3), Rounds);
        Assert.True(share > 0.6, $"{name} picked the best arm in {share:P0} of the last rounds");
    }

    [Theory]
    [InlineData("linucb")]
    [InlineData("lints")]
    public void LinearPolicies_WithOneHotVectors_FindTheHiddenBestArm(string name)
    {
        var encoder = new OneHotEncoder(BanditTestKit.Arms);
        var share = BanditTestKit.BestArmShare(BanditPolicies.Create(name, encoder, seed: 3), Rounds, encoder);
        Assert.True(share > 0.6, $"{name} picked the best arm in {share:P0} of the last rounds");
    }

    [Fact]
    public void Greedy_WithoutFeedback_ServesTheExploitOrder()
    {
        var c = BanditTestKit.Candidates();
        var slate = new GreedyPolicy().Select(BanditTestKit.Request(), c, 5);
        var expected = c.OrderByDescending(x => x.Score).ThenBy(x => x.Item).Take(5).Select(x => x.Item);
        Assert.Equal(expected, slate.Picks.Select(p => p.Item));
        Assert.All(slate.Picks, p => Assert.False(p.Explored));
        Assert.Equal([0, 1, 2, 3, 4], slate.Picks.Select(p => p.ExploitRank));
    }

    [Fact]
    public void Greedy_RarelyFindsTheHiddenArm_ThompsonDoes()
    {
        // The comparison the explore/exploit trade-off is about: the same bandit, the same seed.
        var greedy = BanditTestKit.BestArmShare(new GreedyPolicy(seed: 3), Rounds);
        var thompson = BanditTestKit.BestArmShare(new ThompsonPolicy(seed: 3), Rounds);
        Assert.True(thompson > greedy, $"thompson {thompson:P0} vs greedy {greedy:P0}");
    }

    [Fact]
    public void EveryPolicy_ReturnsDistinctItems_AndHandlesShortLists()
    {
        var encoder = new OneHotEncoder(BanditTestKit.Arms);
        foreach (var name in BanditPolicies.Names)
        {
            var p = BanditPolicies.Create(name, encoder, seed: 5);
            var slate = p.Select(BanditTestKit.Request(encoder), BanditTestKit.Candidates(), 10);
            Assert.Equal(10, slate.Picks.Select(x => x.Item).Distinct().Count());
            Assert.Equal(3, p.Select(BanditTestKit.Request(encoder), BanditTestKit.Candidates()[..3], 10).Picks.Length);
            Assert.Empty(p.Select(BanditTestKit.Request(encoder), [], 10).Picks);
        }
    }

    [Fact]
    public void UnknownPolicyOrBadParameter_IsAClearError()
    {
        Assert.Contains("unknown policy", Assert.Throws<ArgumentException>(() => BanditPolicies.Create("softmax")).Message);
        Assert.Throws<ArgumentException>(() => BanditPolicies.Create("egreedy:x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => BanditPolicies.Create("egreedy:2"));
    }

    [Fact]
    public void ConcurrentSelectAndUpdate_CountEveryUpdate()
    {
        var p = new ThompsonPolicy(seed: 9);
        var c = BanditTestKit.Candidates();
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var pick = p.Select(BanditTestKit.Request(), c, 3).Picks[0];
            p.Update(new BanditFeedback { Request = BanditTestKit.Request(), Item = pick.Item, Clicked = i % 10 == 0 });
        });
        Assert.Equal((400 + 1) / (4000.0 + 50), p.GlobalCtr, 12);
    }
}
