using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Privacy;
using Merx.Models.Sequential;
using Merx.Numerics;
using Merx.Privacy.Accounting;

namespace Merx.Models.Tests.Sequential;

/// <summary>User-level DP-SGD for the Transformer (issue #7).</summary>
[Collection(GemmParallelismCollection.Name)]
public class SasRecPrivateTests
{
    private const int Items = 40;

    /// <summary>Seeded random sequences of 2..20 items (some repeat an item; some longer than MaxLength), items with 0..2 attributes.</summary>
    private static TrainingData RandomData(int users = 60, int seed = 5)
    {
        var rng = new Random(seed);
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < users; u++) lists.Add(Enumerable.Range(0, 2 + rng.Next(19)).Select(_ => rng.Next(Items)).ToList());
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Brand = i % 4 == 0 ? null : "b" + i % 3, CategoryPath = i % 5 == 0 ? ["c" + i % 2] : [] }).ToArray();
        return new TrainingData(split.Train, catalog, split.Validation);
    }

    /// <summary>Seeded unit-length text vectors (E = 5) for every item but every 7th: the catalog's public text.</summary>
    private static TrainingData WithText(TrainingData data)
    {
        var rng = new Random(17);
        var rows = Enumerable.Range(0, Items).Select(i =>
        {
            if (i % 7 == 3) return null;
            var v = Enumerable.Range(0, 5).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var n = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / n).ToArray();
        }).ToArray();
        return new TrainingData(data.Train, data.Catalog, data.Validation) { Text = PretrainedVectors.FromRows("test-text", 5, rows) };
    }

    /// <summary>
    /// Issue #19: text vectors are public, so a private model may read them without spending ε, but the projection W
    /// is not in the fused norm: it stays at its initial value. Each user still moves the clipped sum by at most C
    /// (with a learned W the sum would carry W's unclipped gradient), the fused sum equals the reference, and a
    /// private fit spends the same ε with the same σ as without text and leaves W as it was drawn.
    /// </summary>
    [Fact]
    public void With_public_text_the_projection_stays_fixed_and_each_user_still_moves_the_sum_by_at_most_C()
    {
        var data = WithText(RandomData(30));
        var model = Tiny();
        model.InitializePrivate(data, Dp() with { VocabularyShare = 0 }, 4);
        var l = model.LayoutForTests;
        Assert.Equal(5, l.TextDim);
        const float clip = 0.01f;
        var all = Enumerable.Range(0, data.Train.UserCount).ToArray();
        var (withAll, reference) = model.ClippedSums(data.Train, all, clip);
        Assert.True(MaxRelDiff(withAll, reference) < 2e-3, $"relative difference {MaxRelDiff(withAll, reference)}");
        Assert.All(withAll.AsSpan(l.TextProj, l.TextDim * l.D).ToArray(), g => Assert.Equal(0f, g));
        foreach (var u in new[] { 0, 7, all.MaxBy(data.Train.LengthOf) })
        {
            var (without, _) = model.ClippedSums(data.Train, all.Where(x => x != u).ToArray(), clip);
            var diff = new float[withAll.Length];
            TensorPrimitives.Subtract(withAll, without, diff);
            Assert.InRange(Norm(diff), 0.5 * clip, clip * (1 + 1e-4));
        }

        var dp = Dp(4) with { Epochs = 3, SamplingRate = 0.1, VocabularyShare = 0 };
        var text = Tiny(); var plain = Tiny();
        text.Fit(data, new FitOptions { Seed = 1, Privacy = dp });
        plain.Fit(new TrainingData(data.Train, data.Catalog, data.Validation), new FitOptions { Seed = 1, Privacy = dp });
        Assert.Equal(plain.PrivacySpent!.Epsilon, text.PrivacySpent!.Epsilon);
        Assert.Equal(plain.PrivacySpent.NoiseMultiplier, text.PrivacySpent.NoiseMultiplier);
        var drawn = new float[l.Total];
        l.Initialize(drawn, 1);
        Assert.Equal(drawn.AsSpan(l.TextProj, l.TextDim * l.D).ToArray(), text.Parameters.AsSpan(l.TextProj, l.TextDim * l.D).ToArray());
        Assert.NotEqual(drawn.AsSpan(0, l.TextProj).ToArray(), text.Parameters.AsSpan(0, l.TextProj).ToArray());
    }

    private static SasRec Tiny() => new(new SasRecOptions { Dim = 8, Blocks = 1, MaxLength = 6 });

    private static DpTrainingOptions Dp(double eps = 8) => new() { TargetEpsilon = eps, SeededNoise = true };

    private static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));

    private static double MaxRelDiff(float[] a, float[] b)
    {
        var diff = new float[a.Length];
        TensorPrimitives.Subtract(a, b, diff);
        return Norm(diff) / Math.Max(1e-12, Norm(b));
    }

    [Theory]
    [InlineData(1e6f, false)]   // no user clipped: the fused sum equals the plain gradient sum
    [InlineData(0.05f, false)]  // every user clipped
    [InlineData(1e6f, true)]    // a private id vocabulary: some items have no id row (their id gradient is not part of the norm)
    [InlineData(0.05f, true)]
    public void FusedClippedSum_MatchesTheBatchOfOneReference(float clip, bool vocabulary)
    {
        var data = RandomData();
        var model = Tiny();
        model.InitializePrivate(data, Dp() with { VocabularyShare = 0 }, 3);
        if (vocabulary) model.RestrictIdVocabulary(Enumerable.Range(0, Items).Select(i => i % 3 != 1).ToArray());
        var users = Enumerable.Range(0, data.Train.UserCount).ToArray();
        var (fast, reference) = model.ClippedSums(data.Train, users, clip);
        Assert.True(Norm(reference) > 0);
        // The fused path keeps a 0.1 % margin on every norm; otherwise they differ by float rounding only.
        Assert.True(MaxRelDiff(fast, reference) < 2e-3, $"relative difference {MaxRelDiff(fast, reference)}");
    }

    [Fact]
    public void Clipping_BoundsEachUsersContributionToTheSum()
    {
        var data = RandomData(30);
        var model = Tiny();
        model.InitializePrivate(data, Dp(), 4);
        const float clip = 0.01f;
        var all = Enumerable.Range(0, data.Train.UserCount).ToArray();
        var (withAll, _) = model.ClippedSums(data.Train, all, clip);
        var longest = all.MaxBy(data.Train.LengthOf);
        foreach (var u in new[] { 0, 7, longest })
        {
            var (without, _) = model.ClippedSums(data.Train, all.Where(x => x != u).ToArray(), clip);
            var diff = new float[withAll.Length];
            TensorPrimitives.Subtract(withAll, without, diff);
            Assert.InRange(Norm(diff), 0.5 * clip, clip * (1 + 1e-4)); // each user moves the sum, by at most C
        }
    }

    [Theory]
    [InlineData(DpAccountant.Pld)]
    [InlineData(DpAccountant.Rdp)]
    public void PrivateFit_SpendsTheTargetEpsilon_AsTheAccountantComputesIt(DpAccountant accountant)
    {
        var data = RandomData(80);
        var model = Tiny();
        var dp = Dp(4) with { Epochs = 3, SamplingRate = 0.1, VocabularyShare = 0.1, Accountant = accountant };
        model.Fit(data, new FitOptions { Seed = 1, Privacy = dp });
        var spent = model.PrivacySpent!;
        Assert.Equal(accountant, spent.Accountant);
        Assert.Equal(1.0 / data.Train.UserCount, spent.Delta, 12);
        Assert.Equal(30, spent.PlannedSteps);
        Assert.Equal(spent.PlannedSteps, spent.Steps);
        // With a vocabulary share (the items have side information) the run also released its id vocabulary: one Gaussian mechanism composed with the steps.
        var vocabulary = spent.VocabularyNoiseMultiplier!.Value;
        // The reported vocabulary is the one the planned release selects from these counts with this seed (issue 16):
        // the same plan, made independently of the model, keeps the same number of items, and not all nor none of them.
        var reference = DpSgdRun.Plan(dp with { SamplingRate = 0.1 }, data.Train.UserCount, 1, 0.1, SasRec.DefaultDpClipNorm, SasRec.DefaultDpEpochs, null, seed: 1, vocabularyShare: 0.1);
        Assert.Equal(vocabulary, reference.VocabularyNoise!.Value, 12);
        var kept = reference.SelectVocabulary(data.Train, Items).Count(k => k);
        Assert.Equal(kept, spent.VocabularySize!.Value);
        Assert.InRange(kept, 1, Items - 1);
        var grid = PldAccountant.GridStepFor(4, 30);
        double Composed(long steps)
        {
            if (accountant == DpAccountant.Pld) return PldAccountant.Epsilon(0.1, spent.NoiseMultiplier, steps, spent.Delta, priorGaussian: vocabulary, gridStep: grid);
            var acc = new RdpAccountant();
            acc.Step(1.0, vocabulary);
            acc.Step(0.1, spent.NoiseMultiplier, steps);
            return acc.GetEpsilon(spent.Delta).Epsilon;
        }
        Assert.Equal(Composed(spent.Steps), spent.Epsilon, 9);
        Assert.InRange(spent.Epsilon, 0.99 * 4, 4);                         // calibrated to end at the target
        Assert.True(Composed(spent.Steps + 3) > 4);
        var stepsOnly = accountant == DpAccountant.Pld
            ? PldAccountant.Epsilon(0.1, spent.NoiseMultiplier, spent.Steps, spent.Delta, gridStep: grid)
            : RdpAccountant.Epsilon(0.1, spent.NoiseMultiplier, spent.Steps, spent.Delta);
        Assert.True(stepsOnly < spent.Epsilon);                             // the release costs something
        // Both accountants saw the same run; RDP is the looser one.
        Assert.True(spent.EpsilonRdp > spent.EpsilonPld, $"RDP {spent.EpsilonRdp} vs PLD {spent.EpsilonPld}");
        Assert.All(Enumerable.Range(0, Items), i => { var s = new float[Items]; model.Score(-1, [1, 2, i], s); Assert.All(s, v => Assert.True(float.IsFinite(v))); });
        model.Fit(data, new FitOptions { Seed = 1 });
        Assert.Null(model.PrivacySpent);                                    // a later non-private fit reports none
    }

    [Fact]
    public void Run_StopsBeforePassingTheTargetEpsilon()
    {
        // σ fixed too small for the plan: the accountant must stop the loop early, not at the planned 10,000 steps.
        var run = DpSgdRun.WithNoise(Dp(2) with { Accountant = DpAccountant.Rdp }, users: 1000, dimension: 4, q: 0.05, clip: 1f, sigma: 0.8, plannedSteps: 10_000, seed: 1);
        while (run.CanStep) run.Charge();
        Assert.True(run.Steps < 10_000);
        Assert.True(run.EpsilonSpent <= 2);
        Assert.True(RdpAccountant.Epsilon(0.05, 0.8, run.Steps + 1, 1e-3) > 2);
        Assert.Equal(RdpAccountant.StepsAllowed(0.05, 0.8, 2, 1e-3), run.Steps);
    }

    [Fact]
    public void Run_WithThePldAccountant_StopsAtItsOwnLimit_WhichIsLaterThanRdps()
    {
        var run = DpSgdRun.WithNoise(Dp(2), users: 1000, dimension: 4, q: 0.2, clip: 1f, sigma: 1.5, plannedSteps: 1000, seed: 1);
        Assert.Equal(DpAccountant.Pld, run.AccountantKind);
        while (run.CanStep) run.Charge();
        var grid = run.Pld.GridStep;
        Assert.True(PldAccountant.Epsilon(0.2, 1.5, run.Steps, 1e-3, gridStep: grid) <= 2);
        Assert.True(PldAccountant.Epsilon(0.2, 1.5, run.Steps + 1, 1e-3, gridStep: grid) > 2);
        Assert.True(run.Steps > RdpAccountant.StepsAllowed(0.2, 1.5, 2, 1e-3));
    }

    [Fact]
    public void Noise_HasStandardDeviationSigmaC_OnTheClippedSum()
    {
        var run = DpSgdRun.WithNoise(Dp(), users: 500, dimension: 20_000, q: 0.1, clip: 0.5f, sigma: 1.3, plannedSteps: 10, seed: 9);
        var sum = new float[20_000];
        for (var i = 0; i < sum.Length; i++) sum[i] = MathF.Sin(i);           // any clipped sum
        var output = new float[sum.Length];
        run.Aggregator.Begin();
        run.Aggregator.AddPreclipped(sum, 50, 50, 0);
        run.Aggregator.Finish(output);
        var residual = Enumerable.Range(0, sum.Length).Select(i => output[i] * 0.1 * 500 - sum[i]).ToArray();
        var mean = residual.Average();
        var sd = Math.Sqrt(residual.Sum(r => (r - mean) * (r - mean)) / (residual.Length - 1));
        Assert.InRange(sd, 0.97 * 1.3 * 0.5, 1.03 * 1.3 * 0.5);              // σC (±3 %, ~6 standard errors)
        Assert.InRange(mean, -0.03, 0.03);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PrivateStep_AllocatesNothingAfterWarmUp(bool batched)
    {
        var keep = Gemm.MaxDegreeOfParallelism;
        Gemm.MaxDegreeOfParallelism = 1;
        try
        {
            var data = RandomData();
            var model = Tiny();
            model.InitializePrivate(data, Dp(), 2);
            Assert.Equal(0, model.MeasurePrivateStepAllocations(data, Dp() with { SamplingRate = 0.2 }, batched));
        }
        finally { Gemm.MaxDegreeOfParallelism = keep; }
    }

    [Fact]
    public void BadSettings_GiveClearErrors()
    {
        var data = RandomData(20);
        foreach (var bad in new[] { Dp(0), Dp(-1), Dp(double.NaN), Dp() with { Delta = 1 }, Dp() with { Delta = 0 }, Dp() with { SamplingRate = 1.5 }, Dp() with { ClipNorm = 0 } })
        {
            var e = Assert.Throws<ArgumentException>(() => Tiny().Fit(data, new FitOptions { Privacy = bad }));
            Assert.Contains("DP", e.Message);
        }
    }
}
