using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

/// <summary>
/// Two small simulated shops with a known best fixed policy. In the "honest" shop the exploit
/// order is the true order (click rate 0.2/(1 + r/3) at exploit rank r), so exploring only costs and
/// greedy is best. In the "hidden gems" shop six items with a 30% click rate sit at exploit ranks
/// 20–45 among 3% items, so exploring pays and the Thompson-style policies are best. The Dynamic
/// policy is not told which shop it is in.
/// </summary>
public sealed class DynamicPolicyTests
{
    private const int Candidates = 60, Slate = 5, Rounds = 6000;

    private static double HonestCtr(int rank) => 0.2 / (1 + rank / 3.0);
    private static readonly HashSet<int> Gems = [20, 25, 30, 35, 40, 45];
    private static double GemCtr(int rank) => Gems.Contains(rank) ? 0.3 : 0.03;

    private static BanditCandidate[] Many(int n) => Enumerable.Range(0, n).Select(i => new BanditCandidate(i, n - i, i % 6)).ToArray();

    /// <summary>Total clicks of a policy over <paramref name="rounds"/> slates, slot j examined with probability 1/log₂(j+2).</summary>
    private static double Play(IBanditPolicy policy, Func<int, double> ctr, int rounds, int seed, List<int>? exploredPerRequest = null, Func<int, int>? history = null)
    {
        var rng = new Random(seed);
        var c = Many(Candidates);
        double clicks = 0;
        for (var t = 0; t < rounds; t++)
        {
            var request = new BanditRequest { UserKey = "u" + t % 50, HistoryLength = history?.Invoke(t) ?? 3 + t % 30, RecentImpressions = t % 4, RecentClicks = t % 8 == 0 ? 1 : 0 };
            var slate = policy.Select(request, c, Slate);
            exploredPerRequest?.Add(slate.ExploredCount);
            for (var j = 0; j < slate.Picks.Length; j++)
            {
                var pick = slate.Picks[j];
                var clicked = rng.NextDouble() < ctr(pick.Item) / Math.Log2(j + 2);
                if (clicked) clicks++;
                policy.Update(new BanditFeedback { Request = request, Item = pick.Item, ExploitRank = pick.ExploitRank, Slot = j, SlateSize = Slate, Explored = pick.Explored, Clicked = clicked });
            }
        }
        return clicks;
    }

    /// <summary>Mean and sample sd of total clicks over seeds 1–4.</summary>
    private static (double Mean, double Sd) Mean(string spec, Func<int, double> ctr, int rounds)
    {
        var r = Enumerable.Range(1, 4).Select(seed => Play(BanditPolicies.Create(spec, seed: seed), ctr, rounds, seed)).ToArray();
        var m = r.Average();
        return (m, Math.Sqrt(r.Sum(x => (x - m) * (x - m)) / (r.Length - 1)));
    }

    [Fact]
    public void Dynamic_MatchesTheBestFixedPolicy_InBothShops_WithoutBeingTold()
    {
        string[] fixedPolicies = ["greedy", "egreedy", "ucb", "thompson"];
        var report = new List<string>();
        foreach (var (shop, ctr) in new (string, Func<int, double>)[] { ("honest", HonestCtr), ("gems", GemCtr) })
        {
            var fixedRewards = fixedPolicies.ToDictionary(p => p, p => Mean(p, ctr, Rounds));
            var dynamic = Mean("dynamic", ctr, Rounds);
            var best = fixedRewards.MaxBy(x => x.Value.Mean);
                        report.Add($"{shop}: dynamic {dynamic.Mean:F0} ± {dynamic.Sd:F0}, " + string.Join(", ", fixedRewards.Select(x => $"{x.Key} {x.Value.Mean:F0} ± {x.Value.Sd:F0}")));
            // Measured (4 seeds, 6,000 slates; arms learning from their own slates): honest dynamic 2327 ± 77 vs
            // greedy 2422 ± 162 (the best fixed; dynamic 0.961 × it), thompson 2304, egreedy 2265;
            // gems dynamic 4862 ± 202 vs thompson 4990 ± 95 (the best fixed; dynamic 0.974 × it), egreedy 4574, ucb 4488.
            // The meta-policy pays for learning which rule fits; it must come within 4% of the best and beat the rest.
            Assert.True(dynamic.Mean >= 0.96 * best.Value.Mean, string.Join("; ", report));
            foreach (var (name, r) in fixedRewards)
                if (name != best.Key) Assert.True(dynamic.Mean > r.Mean, string.Join("; ", report));
        }
        Console.WriteLine(string.Join("\n", report));
    }

    [Fact]
    public void Dynamic_LearnsWhichArmIsBest_PerShop()
    {
        var honest = new DynamicPolicy(seed: 2);
        Play(honest, HonestCtr, 4000, 2);
        var gems = new DynamicPolicy(seed: 2);
        Play(gems, GemCtr, 4000, 2);
        var h = honest.ArmUse.ToDictionary(x => x.Arm, x => x.Share);
        var g = gems.ArmUse.ToDictionary(x => x.Arm, x => x.Share);
        var why = "honest: " + string.Join(" ", h.Select(x => $"{x.Key} {x.Value:P0}")) + "; gems: " + string.Join(" ", g.Select(x => $"{x.Key} {x.Value:P0}"));
        // Measured (arms learning from their own slates only): honest greedy 8%, egreedy 12%, ucb 8%, thompson 0%,
        // lints (here the prior alone: greedy) 72%; gems egreedy 96%, lints 3%, the rest 1%.
        Assert.True(h["ucb"] + h["thompson"] < 0.1, why);
        Assert.True(h["greedy"] + h["lints"] > 0.7, why);
        Assert.True(g["egreedy"] + g["ucb"] + g["thompson"] > 0.8, why);
    }

    /// <summary>
    /// Issue #23 (Taobao): when every arm learns from every slate, an exploiting arm reaps what an exploring
    /// one finds and the meta-policy favours it; by default each arm learns only from the slates it served.
    /// Read through each arm's running CTR: with no clicks it is 1/(impressions + 50), so it counts the
    /// impressions the arm learned from. An arm named in <see cref="DynamicOptions.SharedArms"/> learns from every slate.
    /// </summary>
    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "egreedy")]
    public void Arms_LearnOnlyFromTheSlatesTheyServed_UnlessFeedbackIsShared(bool share, string? sharedArm)
    {
        string[] arms = ["greedy", "egreedy:0.1", "thompson"];
        var p = new DynamicPolicy(options: new DynamicOptions { Arms = arms, ShareFeedback = share, SharedArms = sharedArm is null ? [] : [sharedArm] }, seed: 3);
        var c = Many(Candidates);
        const int requests = 300;
        for (var t = 0; t < requests; t++)
        {
            var request = new BanditRequest { UserKey = "u" + t % 7, HistoryLength = t % 30 };
            var slate = p.Select(request, c, Slate);
            for (var j = 0; j < slate.Picks.Length; j++)
                p.Update(new BanditFeedback { Request = request, Item = slate.Picks[j].Item, ExploitRank = slate.Picks[j].ExploitRank, Slot = j, SlateSize = Slate, Clicked = false });
        }
        var served = p.ArmUse.Select(a => a.Share * requests * Slate).ToArray();
        var learned = p.ArmPolicies.Select(a => Math.Round(1 / a.GlobalCtr - 50)).ToArray();
        Assert.Equal(requests * Slate, served.Sum(), 6);
        Assert.All(served, s => Assert.True(s > 0, "every arm served some requests"));
        for (var a = 0; a < served.Length; a++)
            Assert.Equal(share || arms[a].Split(':')[0] == sharedArm ? requests * Slate : Math.Round(served[a]), learned[a]);
        Assert.Throws<ArgumentException>(() => new DynamicOptions { Arms = arms, SharedArms = ["bert"] }.Validate());
    }

    [Theory]
    [InlineData("dynamic:0.1", 0.1)]
    [InlineData("dynamic:0.05", 0.05)]
    [InlineData("thompson@0.1", 0.1)]
    [InlineData("ucb@0.2", 0.2)]
    [InlineData("lints@0.05", 0.05)]
    public void Budget_HoldsOverEveryWindow_ForEstablishedUsers(string spec, double budget)
    {
        var explored = new List<int>();
        Play(BanditPolicies.Create(spec, seed: 5), GemCtr, 2000, 5, explored, history: _ => 50);
        var prefix = new long[explored.Count + 1];
        for (var i = 0; i < explored.Count; i++) prefix[i + 1] = prefix[i] + explored[i];
        var burst = Math.Max(1, budget * Slate);
        for (var a = 0; a < explored.Count; a++)
            for (var b = a + 1; b <= explored.Count; b++)
            {
                var slots = (b - a) * Slate;
                Assert.True(prefix[b] - prefix[a] <= budget * slots + burst + 1e-9, $"requests {a}..{b}: {prefix[b] - prefix[a]} explored of {slots} slots");
            }
        // The cap binds for the fixed exploring policies: over the whole run they spend at least half the budget
        // (they want to explore in the gems shop); the dynamic policy may choose to spend less.
        var share = (double)prefix[^1] / (explored.Count * Slate);
        Assert.InRange(share, spec.StartsWith("dynamic", StringComparison.Ordinal) ? 0 : budget / 2, budget + burst / (explored.Count * Slate));
    }

    [Fact]
    public void Budget_NewUsersHaveTheirOwnCap()
    {
        var p = new ThompsonPolicy(seed: 3) { Budget = new ExplorationBudget { Established = 0.1, NewUsers = 0.4 } };
        var explored = new List<int>();
        Play(p, GemCtr, 2000, 3, explored, history: t => t % 2 == 0 ? 0 : 50);
        double newShare = explored.Where((_, t) => t % 2 == 0).Sum() / (1000.0 * Slate);
        double oldShare = explored.Where((_, t) => t % 2 == 1).Sum() / (1000.0 * Slate);
        // Measured 0.081 and 0.179: established users stay under their 0.1, new users use more than it, under their 0.4.
        Assert.InRange(oldShare, 0.05, 0.1 + 1.0 / (1000 * Slate));
        Assert.InRange(newShare, 0.12, 0.4 + 2.0 / (1000 * Slate));
    }

    [Fact]
    public void AnUnboundBudget_ChangesNothing()
    {
        var capped = new List<int>(); var plain = new List<int>();
        var a = Play(BanditPolicies.Create("thompson@1", seed: 4), GemCtr, 500, 4, capped);
        var b = Play(BanditPolicies.Create("thompson", seed: 4), GemCtr, 500, 4, plain);
        Assert.Equal(b, a);
        Assert.Equal(plain, capped);
    }

    [Fact]
    public void BadBudgetsAndArms_AreClearErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BanditPolicies.Create("dynamic:1.5"));
        Assert.Throws<ArgumentException>(() => BanditPolicies.Create("dynamic:0.1@0.2"));
        Assert.Throws<ArgumentException>(() => BanditPolicies.Create("thompson@x"));
        Assert.Throws<ArgumentException>(() => new DynamicPolicy(options: new DynamicOptions { Arms = ["dynamic"] }));
        Assert.Throws<ArgumentException>(() => new DynamicPolicy(options: new DynamicOptions { Arms = [] }));
    }
}
