using Merx.Evaluation.Experiments;

namespace Merx.Evaluation.Tests.Experiments;

/// <summary>Issue #8: the fixed-horizon z-test, the mSPRT and the sample ratio mismatch check.</summary>
public sealed class StatisticsTests
{
    [Fact]
    public void ZTest_MatchesAHandComputedExample()
    {
        // A: 200/2000 = 10%, B: 250/2000 = 12.5%. Pooled p̄ = 450/4000 = 0.1125,
        // SE = √(0.1125·0.8875·(2/2000)) = 0.0099922, z = 0.025/0.0099922 = 2.50196, p = 2·(1 − Φ(z)) = 0.012351.
        // Unpooled SE = √(0.1·0.9/2000 + 0.125·0.875/2000) = 0.0099840: difference CI 0.025 ± 1.95996·SE.
        // Lift 25%, ln-ratio SE √(0.9/200 + 0.875/250) = 0.089443: CI exp(ln 1.25 ± 1.95996·0.089443) − 1.
        var t = ProportionTest.TwoSided(200, 2000, 250, 2000);
        Assert.Equal(0.025, t.Difference, 12);
        Assert.Equal(2.501955416802671, t.Z, 10);
        Assert.Equal(0.012350947711191435, t.PValue, 10);
        Assert.Equal(0.00543100855465602, t.DifferenceLo, 10);
        Assert.Equal(0.04456899144534397, t.DifferenceHi, 10);
        Assert.Equal(0.25, t.RelativeLift, 12);
        Assert.Equal(0.04900179776172586, t.LiftLo, 10);
        Assert.Equal(0.48951126998441263, t.LiftHi, 10);
    }

    [Fact]
    public void ZTest_OfEqualArms_HasPOne_AndBadCountsAreRefused()
    {
        var t = ProportionTest.TwoSided(50, 1000, 50, 1000);
        Assert.Equal(0, t.Z);
        Assert.Equal(1, t.PValue, 12);
        Assert.True(double.IsNaN(ProportionTest.TwoSided(0, 10, 1, 10).RelativeLift));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProportionTest.TwoSided(11, 10, 1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProportionTest.TwoSided(0, 0, 1, 10));
    }

    [Fact]
    public void SampleRatioCheck_Flags55To45OnTenThousandUsersOfA5050Split_ButNotNoise()
    {
        var bad = SampleRatioCheck.Test([5500, 4500], [0.5, 0.5]);
        Assert.Equal(100, bad.ChiSquare, 9); // 2·500²/5000
        Assert.True(bad.Mismatch);
        Assert.Equal(1.5239706048320995e-23, bad.PValue, 1e-33);
        var fine = SampleRatioCheck.Test([5050, 4950], [0.5, 0.5]);
        Assert.False(fine.Mismatch);
        Assert.Equal(0.31731050786291404, fine.PValue, 12);
        Assert.False(SampleRatioCheck.Test([2000, 8000], [0.2, 0.8]).Mismatch);
    }

    [Fact]
    public void Msprt_LikelihoodRatio_MatchesTheFormula_AndTheMonitorPNeverRises()
    {
        // Δ = 0.02, s² = τ² = 1e-4: ln Λ = ½ ln(1/2) + τ²Δ²/(2s²(s²+τ²)) = −0.346574 + 1.
        Assert.Equal(0.6534264097200273, MixtureSprt.LogLikelihoodRatio(0.02, 1e-4, 1e-4), 12);
        var (lo, hi) = MixtureSprt.ConfidenceInterval(0.02, 1e-4, 1e-4, 0.05);
        Assert.Equal(0.02, (lo + hi) / 2, 12);
        Assert.Equal(0.02 - Math.Sqrt(2e-4 * (2 * Math.Log(20) + Math.Log(2))), lo, 12);
        var monitor = new SequentialMonitor(new SequentialTestOptions { MixingVariance = 1e-4, MinUsersPerVariant = 10 }, 0.05);
        Assert.Equal(1, monitor.Update(1, 5, 3, 5)); // below the minimum users: no look
        var last = 1.0;
        var rng = new Random(4);
        long xA = 0, xB = 0;
        for (var n = 1; n <= 3000; n++)
        {
            if (rng.NextDouble() < 0.10) xA++;
            if (rng.NextDouble() < 0.16) xB++;
            var p = monitor.Update(xA, n, xB, n);
            Assert.True(p <= last);
            last = p;
        }
        Assert.True(monitor.Conclusive, "a 10% vs 16% difference on 3,000 users per arm must be found");
        Assert.True(monitor.ConclusiveDifference > 0);
    }

    [Fact]
    public void SequentialTest_UnderContinuousMonitoring_KeepsFalsePositivesBelowAlpha_WhereNaivePeekingDoesNot()
    {
        var r = AbSimulation.Run(new AbSimulationOptions { Users = 2000, Runs = 300, TrueLift = 0, BaseRate = 0.05, Seed = 11, PeekEvery = 100 });
        Assert.Null(r.Power);
        Assert.Equal(300, r.AaRuns);
        Assert.InRange(r.FalsePositiveRate, 0, 0.05);
        Assert.True(r.NaivePeekingFalsePositiveRate > 0.10, $"peeking at a z-test 20 times should inflate false positives well above 5%, got {r.NaivePeekingFalsePositiveRate}");
        Assert.InRange(r.SampleRatioMismatchRate, 0, 0.02); // p < 0.001 flags about 0.1% of honest runs
    }

    [Fact]
    public void Simulation_FindsALargeLift_InTheRightDirection_AndIsDeterministicPerSeed()
    {
        var o = new AbSimulationOptions { Users = 4000, Runs = 40, TrueLift = 0.5, BaseRate = 0.05, Seed = 5, MixingRelativeEffect = 0.3 };
        var r = AbSimulation.Run(o);
        Assert.True(r.Power > 0.8, $"power {r.Power}");
        Assert.Equal(0, r.WrongDirectionRate);
        Assert.InRange(r.MedianUsersToVerdict!.Value, 200, 4000);
        Assert.Equal(r.ExpectedUserRateA, r.ObservedUserRateA, 2);
        Assert.Equal(r, AbSimulation.Run(o));
    }
    [Fact]
    public void RevenuePerUser_WelchTest_MatchesAHandComputedExample_FromTallySums()
    {
        // A: mean 2.0, variance 16; B: mean 2.5, variance 25; 1000 users each.
        // SE = √(16/1000 + 25/1000) = 0.2024846, z = 0.5/SE = 2.469324, p = 2·(1 − Φ(z)) = 0.0135369.
        var r = MeanTest.Welch(2.0, 16, 1000, 2.5, 25, 1000);
        Assert.Equal(2.4693239916239738, r.Z, 10);
        Assert.Equal(0.013536859346243523, r.PValue, 10);
        Assert.Equal(0.5 - 1.959963984540054 * 0.2024845673131659, r.Lo, 10);
        // Tallies: two users paying 10 and 0 → mean 5, sample variance ((10−5)² + (0−5)²)/1 = 50.
        var t = new VariantTally("A", 0.5, 2, 0, 0, 0, 1, 0, 0, 1, 10, 100);
        Assert.Equal(5, t.RevenuePerUser, 12);
        Assert.Equal(50, t.RevenuePerUserVariance, 12);
    }
}
