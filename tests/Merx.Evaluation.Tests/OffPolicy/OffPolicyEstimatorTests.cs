using Merx.Evaluation.OffPolicy;
using Merx.Evaluation.Simulation;
using Merx.Evaluation.Tests.Simulation;
using Merx.Ranking.Bandits;

namespace Merx.Evaluation.Tests.OffPolicy;

/// <summary>Off-policy evaluation (issue #23): IPS, SNIPS and doubly robust against the simulator's known truth.</summary>
public sealed class OffPolicyEstimatorTests
{
    [Fact]
    public void Ranked_propensities_are_a_distribution_over_ranks_per_slot_and_match_the_policys_draws()
    {
        const int n = 30, k = 5;
        foreach (var (eps, cap) in new[] { (0.0, int.MaxValue), (0.3, int.MaxValue), (0.3, 2), (1.0, 3) })
            for (var j = 0; j < k; j++)
            {
                var total = Enumerable.Range(0, n).Sum(r => SlotPropensity.OverExploitOrder(eps, r, j, n, k, cap));
                Assert.Equal(1.0, total, 12);
            }
        // ε = 0.3, at most 2 replacements: slot 3 is replaced only when fewer than 2 of slots 0–2 were, P(Bin(3, 0.3) < 2) = 0.784.
        Assert.Equal(0.3 * 0.784, SlotPropensity.ReplaceProbability(0.3, 3, 2), 12);
        // Empirical frequencies of the policy itself (the log's propensities are what it does).
        var policy = new RankedPolicy(0.3, seed: 5) { Budget = null };
        var candidates = Enumerable.Range(0, n).Select(i => new BanditCandidate(i, n - i)).ToArray();
        var counts = new double[n, k];
        const int draws = 20_000;
        for (var t = 0; t < draws; t++)
        {
            var d = policy.Select(new BanditRequest(), candidates, k);
            for (var j = 0; j < k; j++)
            {
                counts[d.Picks[j].ExploitRank, j]++;
                Assert.Equal(SlotPropensity.OverExploitOrder(0.3, d.Picks[j].ExploitRank, j, n, k), d.Picks[j].Propensity, 12);
                // Presence: the sum over slots (an item is in at most one).
                Assert.Equal(Enumerable.Range(0, k).Sum(jj => SlotPropensity.OverExploitOrder(0.3, d.Picks[j].ExploitRank, jj, n, k)), d.Picks[j].Presence, 12);
            }
        }
        Assert.InRange(counts[2, 2] / draws, 0.7 - 4 * Math.Sqrt(0.21 / draws), 0.7 + 4 * Math.Sqrt(0.21 / draws));
        Assert.InRange(counts[17, 4] / draws, 0.012 - 4 * Math.Sqrt(0.012 / draws), 0.012 + 4 * Math.Sqrt(0.012 / draws));
        Assert.Equal(0, counts[1, 3]);
    }

    private static readonly OffPolicyTarget[] Targets = [.. new[] { "ranked", "ranked:0.1", "ranked:0.3", "ranked:0.6" }.Select(OffPolicyTarget.Parse)];

    /// <summary>A log of <paramref name="rounds"/> lists (slate 5, 40 + 10 candidates) served by <paramref name="policy"/> in the small shop, with each target's truth on the same requests.</summary>
    private static (List<LoggedSlate> Log, OffPolicyTruth Truth) SimulatedLog(IBanditPolicy policy, string name, int rounds)
    {
        var world = SimulationWorld.Build("shop", SimulatorTests.Shop(), new SimulationOptions { Rounds = rounds, Slate = 5, Seeds = 1, Candidates = 40, DiscoveryCandidates = 10, TruthDepth = 100, Users = 200 });
        var truth = new OffPolicyTruth(Targets, name);
        var log = new List<LoggedSlate>();
        Simulator.Run(new SimulatedShop(world, 1), policy, name, l => { truth.Add(l); log.Add(LoggedSlate.From(l)); });
        return (log, truth);
    }

    [Fact]
    public void Estimates_from_a_simulated_log_cover_each_target_policys_true_reward()
    {
        // A ranked:0.3 log of 4,000 lists from the small shop; the truth of each target is its expected
        // clicks on the same requests under the simulator's click probabilities.
        var (log, truth) = SimulatedLog(BanditPolicies.Create("ranked:0.3", seed: 1), "ranked:0.3", 4000);
        Assert.Equal(4000, log.Count);
        var values = truth.Values.ToDictionary(v => v.Policy, v => v.Value);
        foreach (var t in Targets)
        {
            var e = OffPolicyEstimator.Estimate(log, t);
            Assert.True(e.Ips.Covers(values[t.Name]), $"{t.Name}: IPS {e.Ips} vs truth {values[t.Name]}");
            Assert.True(e.Snips.Covers(values[t.Name]), $"{t.Name}: SNIPS {e.Snips} vs truth {values[t.Name]}");
            Assert.True(e.DoublyRobust.Covers(values[t.Name]), $"{t.Name}: DR {e.DoublyRobust} vs truth {values[t.Name]}");
            // The examination model (the simulator's clicks follow it) with the closed-form presences of ranked:0.3.
            var x = OffPolicyEstimator.EstimateByExamination(log, t, ExaminationModel.Dcg(5));
            Assert.True(x.Ips.Covers(values[t.Name]), $"{t.Name}: examination IPS {x.Ips} vs truth {values[t.Name]}");
            Assert.True(x.SelfNormalised.Covers(values[t.Name]), $"{t.Name}: examination SN {x.SelfNormalised} vs truth {values[t.Name]}");
        }
        // On-policy, IPS is the logged mean reward.
        var own = OffPolicyEstimator.Estimate(log, Targets[2]);
        Assert.Equal(truth.LoggedReward, own.Ips.Value, 12);
        Assert.Equal(1.0, own.MeanWeight, 12);
        // Pinned (this run, deterministic): the truth and the IPS estimate of the exploit slate and of ranked:0.6.
        Assert.Equal(0.0333222547, values["ranked"], 9);
        Assert.Equal(0.0538803470, values["ranked:0.6"], 9);
        var exploit = OffPolicyEstimator.Estimate(log, Targets[0]); var heavy = OffPolicyEstimator.Estimate(log, Targets[3]);
        Assert.Equal(0.0289285714, exploit.Ips.Value, 9);
        Assert.Equal(0.0520714286, heavy.Ips.Value, 9);
        // In this small shop (40 candidates, 6 categories) exploring earns more, and the log says so with confidence.
        Assert.True(heavy.Ips.Lo > exploit.Ips.Hi);
    }

    [Fact]
    public void Examination_model_estimates_from_a_Thompson_log_cover_the_truth_with_a_larger_effective_sample()
    {
        // Thompson sampling moves items between slots, so the item-position weights π(x at j)/μ(x at j) of the ranked
        // targets are heavy; the examination-model weights π̃(x)/ρ(x) count an item wherever it was shown. The
        // simulator's clicks follow the examination model (θ_j = 1/log2(j + 2)), so both are unbiased here.
        var policy = (BanditPolicy)BanditPolicies.Create("thompson", seed: 1);
        policy.PropensityDraws = 100_000;
        var (log, truth) = SimulatedLog(policy, "thompson", 3000);
        Assert.All(log, s => Assert.NotNull(s.Presences));
        Assert.All(log, s => Assert.All(Enumerable.Range(0, s.Slots), j => Assert.True(s.Presences![j] >= s.Propensities[j])));
        var values = truth.Values.ToDictionary(v => v.Policy, v => v.Value);
        var theta = ExaminationModel.Dcg(5);
        foreach (var t in Targets)
        {
            var e = OffPolicyEstimator.Estimate(log, t, theta);
            var x = e.Examination!;
            Assert.True(x.Ips.Covers(values[t.Name]), $"{t.Name}: examination IPS {x.Ips} vs truth {values[t.Name]}");
            Assert.True(x.SelfNormalised.Covers(values[t.Name]), $"{t.Name}: examination SN {x.SelfNormalised} vs truth {values[t.Name]}");
            Assert.True(x.EffectiveLists > 2 * e.EffectiveLists, $"{t.Name}: effective lists {x.EffectiveLists:F0} vs item-position {e.EffectiveLists:F0}");
            Assert.InRange(x.MeanWeight, 0.8, 1.2);
        }
        // Without presences (a log written before they were recorded) there is no examination estimate, and asking for one directly is refused.
        var old = log.Select(s => s with { Presences = null }).ToList();
        Assert.Null(OffPolicyEstimator.Estimate(old, Targets[0], theta).Examination);
        Assert.Throws<ArgumentException>(() => OffPolicyEstimator.EstimateByExamination(old, Targets[0], theta));
        Assert.Throws<ArgumentException>(() => OffPolicyEstimator.EstimateByExamination(log, Targets[0], [1, 0.5]));
        Assert.Throws<ArgumentException>(() => OffPolicyEstimator.EstimateByExamination(log, Targets[0], [1, 0.5, 0, 0.3, 0.2]));
        Assert.Equal(theta, ExaminationModel.Parse("dcg", 5));
        Assert.Equal([1, 0.5, 0.25], ExaminationModel.Parse("1, 0.5,0.25", 3));
        Assert.Throws<ArgumentException>(() => ExaminationModel.Parse("1,0.5", 3));
        Assert.Throws<ArgumentException>(() => ExaminationModel.Parse("1,abc,0.2", 3));
        Assert.Throws<ArgumentException>(() => ExaminationModel.Parse("1,1.5,0.2", 3));
    }

    [Fact]
    public void A_target_without_support_in_the_log_is_underestimated_by_IPS_and_bad_input_is_refused()
    {
        // Logged by the exploit slate only (propensity 1 at rank j in slot j): a ranked:0.5 target puts half its
        // mass on ranks the log never showed, so IPS sees only the exploit half (mean weight 0.5) — the diagnostic.
        var log = Enumerable.Range(0, 100).Select(i => new LoggedSlate(10, [0, 1], [1, 1], [i % 2, 0])).ToList();
        var e = OffPolicyEstimator.Estimate(log, OffPolicyTarget.Parse("ranked:0.5"));
        Assert.Equal(0.5, e.MeanWeight, 12);
        Assert.Equal(0.25, e.Ips.Value, 12);
        Assert.Equal(0.5, OffPolicyEstimator.Estimate(log, OffPolicyTarget.Parse("ranked")).Ips.Value, 12);
        Assert.Throws<ArgumentException>(() => OffPolicyEstimator.Estimate([new LoggedSlate(10, [0], [0], [1]), new LoggedSlate(10, [0], [1], [1])], OffPolicyTarget.Parse("ranked")));
        Assert.Throws<ArgumentException>(() => OffPolicyEstimator.Estimate([new LoggedSlate(10, [10], [1], [1]), new LoggedSlate(10, [0], [1], [1])], OffPolicyTarget.Parse("ranked")));
        Assert.Throws<ArgumentException>(() => OffPolicyTarget.Parse("thompson"));
        Assert.Throws<ArgumentException>(() => OffPolicyTarget.Parse("ranked:1.5"));
    }

    [Fact]
    public void EM_recovers_a_known_examination_curve_from_lists_that_move_ranks_between_slots()
    {
        // Clicks drawn from θ_j·γ_r with θ = 1, 0.7, 0.45, 0.3, 0.2 and each list a random permutation of 5 of 20 ranks,
        // so every rank is seen in every slot: EM must find θ (normalised to its largest) within its own interval and close.
        var theta = new[] { 1, 0.7, 0.45, 0.3, 0.2 };
        var rng = new Random(3);
        var log = new List<LoggedSlate>();
        for (var i = 0; i < 20_000; i++)
        {
            var ranks = Enumerable.Range(0, 20).OrderBy(_ => rng.Next()).Take(5).ToArray();
            var rewards = ranks.Select((r, j) => rng.NextDouble() < theta[j] * 0.3 / (1 + r / 4.0) ? 1.0 : 0.0).ToArray();
            log.Add(new LoggedSlate(20, ranks, [.. Enumerable.Repeat(0.05, 5)], rewards));
        }
        var fit = ExaminationModel.Fit(log, resamples: 50, seed: 7);
        for (var j = 0; j < 5; j++)
        {
            Assert.InRange(fit.Theta[j], theta[j] - 0.06, theta[j] + 0.06);
            Assert.InRange(theta[j], fit.Lo[j] - 1e-9, fit.Hi[j] + 1e-9);
        }
        Assert.Equal(1.0, fit.Theta[0], 9);
        Assert.InRange(fit.Movement, 0.75, 0.85); // a rank lands in its most frequent slot about a fifth of the time
        // The same replicate weights wherever they are drawn; Poisson(1): mean 1.
        byte[] a = new byte[10_000], b = new byte[10_000];
        ExaminationModel.BootstrapWeights(7, 3, a); ExaminationModel.BootstrapWeights(7, 3, b);
        Assert.Equal(a, b);
        Assert.InRange(a.Average(x => (double)x), 0.97, 1.03);
        ExaminationModel.BootstrapWeights(7, 4, b);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void The_examination_curve_estimated_from_a_Thompson_log_gives_estimates_that_cover_the_truth()
    {
        // The simulator's clicks follow θ_j = 1/log2(j + 2); the estimator is not told so. Thompson sampling moves exploit
        // ranks between slots, which separates position from relevance.
        var policy = (BanditPolicy)BanditPolicies.Create("thompson", seed: 1);
        policy.PropensityDraws = 100_000;
        var (log, truth) = SimulatedLog(policy, "thompson", 3000);
        var fit = ExaminationModel.Fit(log, resamples: 100);
        var dcg = ExaminationModel.Dcg(5);
        for (var j = 0; j < 5; j++) Assert.InRange(dcg[j], fit.Lo[j], fit.Hi[j]);
        var values = truth.Values.ToDictionary(v => v.Policy, v => v.Value);
        foreach (var t in Targets)
        {
            var x = OffPolicyEstimator.Estimate(log, t, fit).Examination!;
            Assert.True(x.Ips.Covers(values[t.Name]), $"{t.Name}: examination IPS with θ estimated {x.Ips} vs truth {values[t.Name]}");
            Assert.True(x.SelfNormalised.Covers(values[t.Name]), $"{t.Name}: examination SN with θ estimated {x.SelfNormalised} vs truth {values[t.Name]}");
            // θ's uncertainty widens the interval against the one with θ known.
            var known = OffPolicyEstimator.EstimateByExamination(log, t, dcg);
            Assert.True(x.Ips.Hi - x.Ips.Lo > 0.9 * (known.Ips.Hi - known.Ips.Lo), $"{t.Name}: {x.Ips} vs θ known {known.Ips}");
        }
        // The exploit slate alone shows rank j in slot j: position and relevance cannot be told apart, and the fit says so.
        var (fixedLog, _) = SimulatedLog(BanditPolicies.Create("ranked", seed: 1), "ranked", 500);
        var e = Assert.Throws<ArgumentException>(() => ExaminationModel.Fit(fixedLog));
        Assert.Contains("cannot separate position from relevance", e.Message);
        Assert.Contains("no click", Assert.Throws<ArgumentException>(() => ExaminationModel.Fit(log.Select(s => s with { Rewards = new double[s.Slots] }).ToList())).Message);
    }
}
