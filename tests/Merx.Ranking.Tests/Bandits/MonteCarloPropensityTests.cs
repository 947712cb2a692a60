using Merx.Evaluation.Experiments;
using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

/// <summary>
/// Issue #23: propensities of the policies without a closed form, by geometric redraws
/// (<see cref="PropensityRedraws"/>): the draws N until the served pick reappears at its slot have
/// E[N] = 1/μ, so the logged μ̂ = 1/N is exact in its inverse, which is what an importance weight uses.
/// Checked against exact inverse propensities (numeric integration; ε-greedy's closed form), for
/// reproducing the policy's own draws, for running later than the selection, and for leaving the
/// policy's course unchanged.
/// </summary>
public sealed class MonteCarloPropensityTests
{
    private const int Candidates = 60, Slate = 5;
    private static BanditCandidate[] Many(int n) => Enumerable.Range(0, n).Select(i => new BanditCandidate(i, n - i, i % 6)).ToArray();

    /// <summary>Mean of N = 1/μ̂ at slot <paramref name="slot"/> over <paramref name="replicates"/> independent redraw runs of one frozen slate.</summary>
    private static double MeanInverse(SlateSampler sampler, SlatePick[] served, int slot, int replicates, int cap = 1_000_000, bool presence = false)
    {
        double sum = 0;
        var decision = new SlateDecision(served, 0);
        for (var s = 0; s < replicates; s++)
        {
            // Seeds are mixed outputs: SplitMix64 states γ apart would start streams shifted by one draw.
            var redraws = new PropensityRedraws(sampler, served, new BanditRng((ulong)s).NextULong(), cap);
            var d = redraws.Apply(decision);
            Assert.Equal(0, redraws.Capped);
            Assert.True(d.Picks[slot].Presence >= d.Picks[slot].Propensity); // anywhere is never rarer than at its slot
            sum += 1 / (presence ? d.Picks[slot].Presence : d.Picks[slot].Propensity);
        }
        return sum / replicates;
    }

    [Fact]
    public void Geometric_redraws_average_to_the_exact_inverse_propensity_of_a_two_item_Thompson_sampler()
    {
        // Two candidates, a slate of one. After 40 shows with 10 clicks (exploit rank 0) and 40 with 1 (rank 1), the
        // posteriors are Beta(m·p₀(r) + clicks, m·(1 − p₀(r)) + shows − clicks) with m = 10, p₀(r) = 2ĝ(K+1)/(K+1+r),
        // ĝ = (clicks + 1)/(shows + 50) (BanditPolicy's prior); rank 1 wins the slot with μ = P(X₁ > X₀), here by
        // numeric integration ≈ 0.00144 (1/μ ≈ 692). A Monte Carlo frequency from D draws floored at 1/(D + 1)
        // (the previous estimator) has an inverse of at most D + 1, far below 692 for the D it used (32–100).
        var p = new ThompsonPolicy(seed: 3);
        var c = new[] { new BanditCandidate(7, 2f), new BanditCandidate(9, 1f) };
        var request = new BanditRequest { UserKey = "u", HistoryLength = 3 };
        foreach (var (item, rank, shows, clicks) in new[] { (7, 0, 40, 10), (9, 1, 40, 1) })
            for (var i = 0; i < shows; i++)
                p.Update(new BanditFeedback { Request = request, Item = item, ExploitRank = rank, SlateSize = 1, Clicked = i < clicks });
        var g = (11 + 1.0) / (80 + 50);
        double P0(int r) => 2 * g * 2 / (2.0 + r);
        var (a0, b0) = (10 * P0(0) + 10, 10 * (1 - P0(0)) + 30);
        var (a1, b1) = (10 * P0(1) + 1, 10 * (1 - P0(1)) + 39);
        var mu = ProbabilityFirstExceeds(a1, b1, a0, b0);
        Assert.InRange(mu, 0.00140, 0.00149);

        var ranked = new RankedCandidates(c);
        var sampler = p.FreezeFor(request, ranked, 1, int.MaxValue);
        const int n = 2000;
        var mean = MeanInverse(sampler, [ranked.Pick(1, 0, true)], 0, n);
        var se = Math.Sqrt((1 - mu) / (mu * mu) / n); // sd of a Geometric(μ) count over √n
        Assert.InRange(mean, 1 / mu - 4 * se, 1 / mu + 4 * se);
        // The served favourite: μ = 1 − 0.00144, so N is 1 almost always.
        Assert.InRange(MeanInverse(sampler, [ranked.Pick(0, 0, false)], 0, 200), 1, 1.02);
    }

    /// <summary>P(X &gt; Y) for X ~ Beta(a, b), Y ~ Beta(c, d), by the midpoint rule on 20,000 cells (shapes ≥ 1: smooth integrands).</summary>
    private static double ProbabilityFirstExceeds(double a, double b, double c, double d)
    {
        const int cells = 20_000;
        double LogDensity(double x, double p, double q) => (p - 1) * Math.Log(x) + (q - 1) * Math.Log(1 - x) + Distributions.LogGamma(p + q) - Distributions.LogGamma(p) - Distributions.LogGamma(q);
        double h = 1.0 / cells, below = 0, sum = 0;
        for (var i = 0; i < cells; i++)
        {
            var x = (i + 0.5) * h;
            var fy = Math.Exp(LogDensity(x, c, d));
            sum += Math.Exp(LogDensity(x, a, b)) * (below + 0.5 * fy * h) * h;
            below += fy * h;
        }
        return sum;
    }

    [Fact]
    public void Geometric_redraws_average_to_the_exact_inverse_epsilon_greedy_propensities()
    {
        // A Dynamic policy over two ε-greedy arms that have seen nothing serves exactly ε-greedy's distribution
        // (both arms' slates are the exploit top K, each slot replaced with probability ε), and it has no closed
        // form of its own, so its picks are redrawn; SlotPropensity gives the exact values: 1 − ε at a kept slot
        // (1/μ = 1.25) and ε/(n − K) for an explored pick (1/μ = 275).
        const double eps = 0.2;
        var p = new DynamicPolicy(options: new DynamicOptions { Arms = ["egreedy:0.2", "egreedy:0.2"] }, seed: 11);
        var c = Many(Candidates);
        SlateDecision slate; BanditRequest request; var t = 0;
        do
        {
            request = new BanditRequest { UserKey = "u" + t++, HistoryLength = 10 };
            slate = p.Select(request, c, Slate);
        } while (slate.ExploredCount != 1);
        Assert.All(slate.Picks, x => Assert.True(double.IsNaN(x.Propensity)));
        var ranked = new RankedCandidates(c);
        var sampler = p.FreezeFor(request, ranked, Slate, int.MaxValue);
        const int n = 1000;
        for (var j = 0; j < Slate; j++)
        {
            var mu = SlotPropensity.OverExploitOrder(eps, slate.Picks[j].ExploitRank, j, Candidates, Slate);
            var mean = MeanInverse(sampler, slate.Picks, j, n);
            var se = Math.Sqrt((1 - mu) / (mu * mu) / n);
            Assert.InRange(mean, 1 / mu - 4 * se, 1 / mu + 4 * se);
            // Presence (the pick in any slot): a kept pick can only be at its slot (1/ρ = 1.25); an explored one lands in
            // any of the K slots, ρ = Σ_j' ε/(n − K) = K·ε/(n − K) (1/ρ = 55), the same draws counting to its first hit anywhere.
            var rho = Enumerable.Range(0, Slate).Sum(jj => SlotPropensity.OverExploitOrder(eps, slate.Picks[j].ExploitRank, jj, Candidates, Slate));
            var meanAnywhere = MeanInverse(sampler, slate.Picks, j, n, presence: true);
            var seAnywhere = Math.Sqrt((1 - rho) / (rho * rho) / n);
            Assert.InRange(meanAnywhere, 1 / rho - 4 * seAnywhere, 1 / rho + 4 * seAnywhere);
            Assert.Equal(slate.Picks[j].Explored ? Slate * eps / (Candidates - Slate) : 1 - eps, rho, 12);
        }
    }

    [Theory]
    [InlineData("thompson")]
    [InlineData("lints")]
    public void A_redraw_from_the_selections_generator_state_reproduces_the_served_slate(string spec)
    {
        // The frozen sampler draws exactly what the selection draws (the same values in the same order), so its
        // distribution is the policy's; checked after feedback has moved the posterior.
        var p = (BanditPolicy)BanditPolicies.Create(spec, seed: 5);
        var c = Many(Candidates);
        var ranked = new RankedCandidates(c);
        var rng = new Random(5);
        for (var t = 0; t < 200; t++)
        {
            var request = new BanditRequest { UserKey = "u" + t % 7, HistoryLength = t % 25 };
            var state = p.GeneratorState;
            var slate = p.Select(request, c, Slate);
            var ranks = new int[Slate];
            var draw = new BanditRng(state);
            p.FreezeFor(request, ranked, Slate, int.MaxValue).Draw(ref draw, ranks);
            Assert.Equal(slate.Picks.Select(x => x.ExploitRank), ranks);
            for (var j = 0; j < Slate; j++)
                p.Update(new BanditFeedback { Request = request, Item = slate.Picks[j].Item, ExploitRank = slate.Picks[j].ExploitRank, Slot = j, SlateSize = Slate, Clicked = rng.NextDouble() < (slate.Picks[j].Item % 7 == 0 ? 0.3 : 0.02) });
        }
    }

    [Theory]
    [InlineData("thompson")]
    [InlineData("lints")]
    [InlineData("dynamic")]
    public void Redraws_LeaveThePolicysCourseUnchanged_AndDeferredOnesEqualInlineOnes(string spec)
    {
        // Three policies of one seed: without redraws, with them inline, and deferred (the server's logging queue);
        // the deferred redraws run after the slate's feedback has changed the policy, and still give the inline values.
        const int cap = 50;
        var plain = BanditPolicies.Create(spec, seed: 4);
        var inline = BanditPolicies.Create(spec, seed: 4);
        var deferred = BanditPolicies.Create(spec, seed: 4);
        ((BanditPolicy)inline).PropensityDraws = cap;
        ((BanditPolicy)deferred).PropensityDraws = cap; ((BanditPolicy)deferred).DeferPropensities = true;
        var rng = new Random(4);
        var c = Many(Candidates);
        for (var t = 0; t < 400; t++)
        {
            var request = new BanditRequest { UserKey = "u" + t % 9, HistoryLength = t % 25, RecentImpressions = t % 3, RecentClicks = t % 5 == 0 ? 1 : 0 };
            var a = plain.Select(request, c, Slate);
            var b = inline.Select(request, c, Slate);
            var d = deferred.Select(request, c, Slate);
            Assert.Equal(a.Picks.Select(x => x.Item), b.Picks.Select(x => x.Item));
            Assert.Equal(a.Picks.Select(x => x.Item), d.Picks.Select(x => x.Item));
            Assert.All(a.Picks, x => Assert.True(double.IsNaN(x.Propensity)));
            Assert.All(d.Picks, x => Assert.True(double.IsNaN(x.Propensity)));
            Assert.Null(b.Pending);
            Assert.All(b.Picks, x =>
            {
                Assert.InRange(x.Propensity, 1.0 / cap, 1);
                Assert.Equal(Math.Round(1 / x.Propensity), 1 / x.Propensity, 9); // 1/N
            });
            for (var j = 0; j < Slate; j++)
            {
                var clicked = rng.NextDouble() < (a.Picks[j].Item % 7 == 0 ? 0.3 : 0.02);
                foreach (var (policy, s) in new[] { (plain, a), (inline, b), (deferred, d) })
                    policy.Update(new BanditFeedback { Request = request, Item = s.Picks[j].Item, ExploitRank = s.Picks[j].ExploitRank, Slot = j, SlateSize = Slate, Explored = s.Picks[j].Explored, Clicked = clicked });
            }
            Assert.Equal(b.Picks.Select(x => x.Propensity), d.Pending!.Apply(d).Picks.Select(x => x.Propensity));
        }
        var stats = ((BanditPolicy)inline).PropensityStats;
        Assert.Equal(400, stats.Lists);
        Assert.Equal(stats.Lists, ((BanditPolicy)deferred).PropensityStats.Lists);
        Assert.Equal(stats.CappedSlots, ((BanditPolicy)deferred).PropensityStats.CappedSlots);
    }

    [Fact]
    public void BadDrawCounts_AreClearErrors()
    {
        var p = new ThompsonPolicy();
        Assert.Throws<ArgumentOutOfRangeException>(() => p.PropensityDraws = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.PropensityDraws = 1_000_001);
    }
}
