using System.Globalization;

namespace Merx.Evaluation.Experiments;

/// <summary>
/// Settings of <see cref="AbSimulation"/>. Users of variant A click each impression with their own
/// propensity p ~ Beta(κ·BaseRate, κ·(1 − BaseRate)) (mean BaseRate, κ = <see cref="Concentration"/>),
/// so users differ; B multiplies it by 1 + TrueLift (capped at 1). Each user sees
/// 1 + Poisson(MeanImpressions − 1) impressions; the judged metric is the share of users who
/// clicked at least once.
/// </summary>
public sealed record AbSimulationOptions
{
    public int Users { get; init; } = 20_000;
    public double TrueLift { get; init; } = 0.10;
    public int Runs { get; init; } = 200;
    public double BaseRate { get; init; } = 0.05;
    public int Seed { get; init; } = 42;
    public double Alpha { get; init; } = 0.05;
    public double Concentration { get; init; } = 20;
    public double MeanImpressions { get; init; } = 3;
    /// <summary>The naive comparison looks at the z-test after every batch of this many users.</summary>
    public int PeekEvery { get; init; } = 500;
    /// <summary>τ of the mSPRT as a fraction of the expected user-level click rate of A (see <see cref="SequentialTestOptions.ForBaseRate"/>).</summary>
    public double MixingRelativeEffect { get; init; } = 0.10;
    public int MinUsersPerVariant { get; init; } = 100;

    public void Validate()
    {
        if (Users < 2 * MinUsersPerVariant) throw new ArgumentException($"--users must be at least {2 * MinUsersPerVariant} (the test starts at {MinUsersPerVariant} per variant)");
        if (Runs < 1) throw new ArgumentException("--runs must be at least 1");
        if (!(BaseRate > 0 && BaseRate < 1)) throw new ArgumentException("--base-rate must be in (0, 1)");
        if (!(TrueLift > -1 && double.IsFinite(TrueLift))) throw new ArgumentException("--true-lift must be greater than −1");
        if (!(Alpha > 0 && Alpha < 1)) throw new ArgumentException("alpha must be in (0, 1)");
        if (!(Concentration > 0) || !(MeanImpressions >= 1) || PeekEvery < 1 || !(MixingRelativeEffect > 0)) throw new ArgumentException("concentration, mixing effect must be > 0, mean impressions ≥ 1, peek interval ≥ 1");
    }
}

/// <summary>
/// What the simulation found. Power: share of lift runs whose sequential test reached the right
/// verdict (B better when the lift is positive) within the user budget; null without a lift.
/// False-positive rate: share of A/A runs whose sequential test ever declared a difference under
/// continuous monitoring. The naive rates are those of checking the fixed-horizon z-test after
/// every <see cref="AbSimulationOptions.PeekEvery"/> users and stopping at the first p &lt; α; the
/// fixed-horizon ones of a single z-test at the end.
/// </summary>
public sealed record AbSimulationResult(
    AbSimulationOptions Options, double MixingVariance, double ExpectedUserRateA,
    double? Power, double FalsePositiveRate, double? MedianUsersToVerdict, double? MeanUsersToVerdict,
    double? NaivePeekingPower, double NaivePeekingFalsePositiveRate, double? FixedHorizonPower, double FixedHorizonFalsePositiveRate,
    double? WrongDirectionRate, double SampleRatioMismatchRate, double ObservedUserRateA, double ObservedUserRateB, int LiftRuns, int AaRuns);

/// <summary>
/// Monte-Carlo check of the experiment statistics: R runs with the true lift and R A/A runs, users
/// arriving one by one through the real <see cref="ExperimentTracker"/> (hashed assignment,
/// continuous sequential monitoring). Every run has its own seeded generator, so results are the
/// same per seed whatever the thread count.
/// </summary>
public static class AbSimulation
{
    public static AbSimulationResult Run(AbSimulationOptions o, IProgress<string>? progress = null)
    {
        o.Validate();
        var userRate = ExpectedUserRate(o.BaseRate, o.Concentration, o.MeanImpressions);
        var seq = SequentialTestOptions.ForBaseRate(userRate, o.MixingRelativeEffect, o.Alpha) with { MinUsersPerVariant = o.MinUsersPerVariant };
        var hasLift = o.TrueLift != 0;
        var liftRuns = hasLift ? o.Runs : 0;
        var outcomes = new RunOutcome[liftRuns + o.Runs];
        var done = 0;
        Parallel.For(0, outcomes.Length, i =>
        {
            var aa = i >= liftRuns;
            var r = aa ? i - liftRuns : i;
            outcomes[i] = OneRun(o, seq, aa ? 0 : o.TrueLift, $"sim-{o.Seed}-{(aa ? "aa" : "ab")}-{r}", new Random(unchecked(o.Seed * 7919 + i * 104_729 + (aa ? 1 : 0))));
            var n = Interlocked.Increment(ref done);
            if (n % Math.Max(1, outcomes.Length / 10) == 0 || n == outcomes.Length)
                progress?.Report($"abtest: {n}/{outcomes.Length} runs simulated ({liftRuns} with lift {o.TrueLift.ToString("G3", CultureInfo.InvariantCulture)}, {o.Runs} A/A)");
        });
        var lift = outcomes[..liftRuns]; var aaRuns = outcomes[liftRuns..];
        var sign = Math.Sign(o.TrueLift);
        var right = lift.Where(x => x.SequentialAt is not null && Math.Sign(x.SequentialDifference) == sign).ToArray();
        var times = right.Select(x => (double)x.SequentialAt!.Value).Order().ToArray();
        return new AbSimulationResult(o, seq.MixingVariance, userRate,
            hasLift ? (double)right.Length / liftRuns : null,
            Share(aaRuns, x => x.SequentialAt is not null),
            times.Length > 0 ? Median(times) : null,
            times.Length > 0 ? times.Average() : null,
            hasLift ? Share(lift, x => x.NaiveDifference is { } d && Math.Sign(d) == sign) : null,
            Share(aaRuns, x => x.NaiveDifference is not null),
            hasLift ? Share(lift, x => x.FixedRejects && Math.Sign(x.FinalDifference) == sign) : null,
            Share(aaRuns, x => x.FixedRejects),
            hasLift ? Share(lift, x => x.SequentialAt is not null && Math.Sign(x.SequentialDifference) != sign) : null,
            Share(outcomes, x => x.SampleRatioMismatch),
            outcomes.Average(x => x.RateA), lift.Length > 0 ? lift.Average(x => x.RateB) : aaRuns.Average(x => x.RateB), liftRuns, o.Runs);
    }

    /// <summary>
    /// P(a user clicks at least once) for p ~ Beta(a, b), a = κ·rate, b = κ·(1 − rate), and 1 + Poisson(m − 1)
    /// impressions: 1 − Σₖ Poisson(k)·E[(1 − p)^(k+1)], with E[(1 − p)^j] = Π_{i&lt;j} (b + i)/(a + b + i).
    /// </summary>
    public static double ExpectedUserRate(double rate, double concentration, double meanImpressions)
    {
        double a = concentration * rate, b = concentration * (1 - rate), lambda = meanImpressions - 1;
        double noClick = 0, poisson = Math.Exp(-lambda), moment = b / (a + b), mass = 0;
        for (var k = 0; k < 1000 && mass < 1 - 1e-15; k++)
        {
            noClick += poisson * moment;
            mass += poisson;
            poisson *= lambda / (k + 1);
            moment *= (b + k + 1) / (a + b + k + 1);
        }
        return 1 - noClick;
    }

    private readonly record struct RunOutcome(long? SequentialAt, double SequentialDifference, double? NaiveDifference, bool FixedRejects, double FinalDifference,
        bool SampleRatioMismatch, double RateA, double RateB);

    private static RunOutcome OneRun(AbSimulationOptions o, SequentialTestOptions seq, double lift, string id, Random rng)
    {
        var tracker = new ExperimentTracker(Experiment.Even(id, "A", "B"), seq);
        double? naive = null;
        double a = o.Concentration * o.BaseRate, b = o.Concentration * (1 - o.BaseRate);
        for (var u = 1; u <= o.Users; u++)
        {
            var user = "u" + u.ToString(CultureInfo.InvariantCulture);
            var isB = tracker.Expose(user).Name == "B";
            var p = Sampling.Beta(rng, a, b);
            if (isB) p = Math.Min(1, p * (1 + lift));
            var impressions = 1 + Sampling.Poisson(rng, o.MeanImpressions - 1);
            for (var k = 0; k < impressions; k++)
            {
                tracker.Record(user, ExperimentEvent.Impression);
                if (rng.NextDouble() < p) tracker.Record(user, ExperimentEvent.Click);
            }
            if (naive is null && u % o.PeekEvery == 0 && ZTest(tracker.Snapshot()) is { } z && z.PValue < o.Alpha) naive = z.Difference;
        }
        var final = tracker.Snapshot();
        var test = ZTest(final)!;
        var s = final.Sequential[0];
        var srm = SampleRatioCheck.Test([final.Variants[0].Users, final.Variants[1].Users], [0.5, 0.5]).Mismatch;
        return new RunOutcome(s.ConclusiveAtUsers, s.ConclusiveDifference, naive, test.PValue < o.Alpha, test.Difference, srm, test.RateA, test.RateB);
    }

    private static ProportionTestResult? ZTest(ExperimentSnapshot s)
    {
        var (a, b) = (s.Variants[0], s.Variants[1]);
        return a.Users > 0 && b.Users > 0 ? ProportionTest.TwoSided(a.ClickingUsers, a.Users, b.ClickingUsers, b.Users) : null;
    }

    private static double Share(RunOutcome[] runs, Func<RunOutcome, bool> f) => runs.Length == 0 ? 0 : (double)runs.Count(f) / runs.Length;

    private static double Median(double[] sorted) => sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}
