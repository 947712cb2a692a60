using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

/// <summary>
/// Issue #23: Monte Carlo propensities (<see cref="BanditPolicy.PropensityDraws"/>) for the policies
/// without a closed form. Checked against exact ones where the distribution is known, and for leaving
/// the policy's course unchanged.
/// </summary>
public sealed class MonteCarloPropensityTests
{
    private const int Candidates = 60, Slate = 5;
    private static BanditCandidate[] Many(int n) => Enumerable.Range(0, n).Select(i => new BanditCandidate(i, n - i, i % 6)).ToArray();

    [Fact]
    public void Estimates_MatchTheExactEpsilonGreedyPropensities()
    {
        // A Dynamic policy over two ε-greedy arms that have seen nothing serves exactly ε-greedy's distribution
        // (both arms' slates are the exploit top K, each slot replaced with probability ε), and it has no
        // closed form of its own, so its picks get Monte Carlo estimates; SlotPropensity gives the exact values.
        const double eps = 0.2; const int draws = 4000;
        var p = new DynamicPolicy(options: new DynamicOptions { Arms = ["egreedy:0.2", "egreedy:0.2"] }, seed: 11) { PropensityDraws = draws };
        var c = Many(Candidates);
        var checkedPicks = 0; var explored = 0;
        for (var t = 0; t < 30; t++)
        {
            var slate = p.Select(new BanditRequest { UserKey = "u" + t, HistoryLength = 10 }, c, Slate);
            for (var j = 0; j < Slate; j++)
            {
                var pick = slate.Picks[j];
                var exact = SlotPropensity.OverExploitOrder(eps, pick.ExploitRank, j, Candidates, Slate);
                var sd = Math.Sqrt(exact * (1 - exact) / draws);
                Assert.Equal(Math.Round(pick.Propensity * (draws + 1)), pick.Propensity * (draws + 1), 6); // an estimate: (hits + 1) / (draws + 1)
                Assert.InRange(pick.Propensity, exact - 4 * sd - 1e-12, exact + 4 * sd + 1.0 / (draws + 1) + 1e-12);
                checkedPicks++;
                if (pick.Explored) explored++;
            }
        }
        Assert.Equal(150, checkedPicks);
        Assert.InRange(explored, 15, 45); // about ε·150 = 30 explored picks, so both kinds of propensity were checked
    }

    [Theory]
    [InlineData("thompson")]
    [InlineData("lints")]
    [InlineData("dynamic")]
    public void Redraws_LeaveThePolicysCourseUnchanged(string spec)
    {
        var plain = BanditPolicies.Create(spec, seed: 4);
        var estimated = BanditPolicies.Create(spec, seed: 4);
        ((BanditPolicy)estimated).PropensityDraws = 50;
        var rng = new Random(4);
        var c = Many(Candidates);
        for (var t = 0; t < 400; t++)
        {
            var request = new BanditRequest { UserKey = "u" + t % 9, HistoryLength = t % 25, RecentImpressions = t % 3, RecentClicks = t % 5 == 0 ? 1 : 0 };
            var a = plain.Select(request, c, Slate);
            var b = estimated.Select(request, c, Slate);
            Assert.Equal(a.Picks.Select(x => x.Item), b.Picks.Select(x => x.Item));
            Assert.All(a.Picks, x => Assert.True(double.IsNaN(x.Propensity)));
            Assert.All(b.Picks, x => Assert.InRange(x.Propensity, 1.0 / 51, 1));
            for (var j = 0; j < Slate; j++)
            {
                var clicked = rng.NextDouble() < (a.Picks[j].Item % 7 == 0 ? 0.3 : 0.02);
                foreach (var (policy, d) in new[] { (plain, a), (estimated, b) })
                    policy.Update(new BanditFeedback { Request = request, Item = d.Picks[j].Item, ExploitRank = d.Picks[j].ExploitRank, Slot = j, SlateSize = Slate, Explored = d.Picks[j].Explored, Clicked = clicked });
            }
        }
    }

    [Fact]
    public void BadDrawCounts_AreClearErrors()
    {
        var p = new ThompsonPolicy();
        Assert.Throws<ArgumentOutOfRangeException>(() => p.PropensityDraws = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.PropensityDraws = 100_001);
    }
}
