using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Sequential;
using Merx.Models.Training;
using Merx.Tests.Shared;

namespace Merx.Models.Tests.Sequential;

/// <summary>Issue 23 (data bias): inverse-propensity weighting of the Transformer's training targets against popularity bias, off by default.</summary>
[Collection(GemmParallelismCollection.Name)]
public class SasRecIpwTests
{
    private const int Items = 30, Bestseller = 0;

    /// <summary>
    /// After item x a user takes the bestseller (item 0) or x + 1 with equal chance, so the bestseller is about half of every
    /// target: the plain model's best guess after x is the bestseller or x + 1 about equally, and weighting targets by the
    /// inverse of their popularity must tip it to x + 1.
    /// </summary>
    private static TrainingData Data(int users = 160, int length = 12, int seed = 3)
    {
        var rng = new Random(seed);
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < users; u++)
        {
            var seq = new List<int> { 1 + u % (Items - 1) };
            var last = seq[0];
            while (seq.Count < length)
            {
                var next = rng.Next(2) == 0 ? Bestseller : 1 + last % (Items - 1);
                seq.Add(next);
                if (next != Bestseller) last = next;
            }
            lists.Add(seq);
        }
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i }).ToArray();
        return new TrainingData(split.Train, catalog, split.Validation);
    }

    private static SasRec Model(float eta, int epochs = 30) =>
        new(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = epochs, EvalEvery = 100, Patience = 100,
            RefitWithValidation = false, UseSideInformation = false, PopularityIpw = eta });

    [Fact]
    public void Off_by_default_and_bad_settings_are_refused()
    {
        Assert.Equal(0f, new SasRecOptions().PopularityIpw);
        Assert.Equal(SasRec.ModelName, new SasRec().Name);
        Assert.Equal(SasRec.IpwName, ModelRegistry.Create(SasRec.IpwName).Name);
        Assert.Equal(0.5f, ((SasRec)ModelRegistry.Create(SasRec.IpwName)).Options.PopularityIpw);
        Assert.Throws<ArgumentException>(() => new SasRec(new SasRecOptions { PopularityIpw = -0.1f }));
        Assert.Throws<ArgumentException>(() => new SasRec(new SasRecOptions { PopularityIpw = float.NaN }));
        Assert.Throws<ArgumentException>(() => new SasRec(new SasRecOptions { PopularityIpw = 0.5f, IpwClip = 0.5f }));
    }

    [Fact]
    public void A_name_with_a_setting_chooses_eta_and_bad_settings_are_clear_errors()
    {
        var model = (SasRec)ModelRegistry.Create("sasrec-ipw:0.25");
        Assert.Equal(0.25f, model.Options.PopularityIpw);
        Assert.Equal("sasrec-ipw:0.25", model.Name);
        Assert.True(ModelRegistry.IsKnown("sasrec-ipw:0.25"));
        Assert.True(ModelRegistry.ReadsText("sasrec-ipw:0.25"));
        foreach (var bad in new[] { "sasrec-ipw:0", "sasrec-ipw:-1", "sasrec-ipw:2.5", "sasrec-ipw:abc", "sasrec-ipw:", "sasrec-ipw:NaN" })
        {
            Assert.False(ModelRegistry.IsKnown(bad));
            var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create(bad));
            Assert.Contains("η must be a number in (0, 2]", e.Message);
        }
        Assert.False(ModelRegistry.IsKnown("sasrec:0.25"));  // only parametrised families take a setting
        Assert.Contains("sasrec-ipw:VALUE", Assert.Throws<ArgumentException>(() => ModelRegistry.Create("sasrec:0.25")).Message);
    }

    [Fact]
    public void A_model_published_under_a_name_with_a_setting_reads_back_through_its_family()
    {
        var model = (SasRec)ModelRegistry.Create("sasrec-ipw:0.25");
        model.Fit(Data(users: 40, length: 8), new FitOptions { Seed = 1, MaxEpochs = 1 });
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) model.Write(w);
        buffer.Position = 0;
        using var r = new BinaryReader(buffer);
        var loaded = ModelRegistry.Read("sasrec-ipw:0.25", r);
        Assert.Equal(model.Recommend(-1, [1, 2], 5), loaded.Recommend(-1, [1, 2], 5));
    }

    [Fact]
    public void The_weights_are_the_inverse_propensities_averaging_one_over_the_targets_and_clipped()
    {
        int[] counts = [100, 25, 4, 1, 0];
        var w = SasRec.StepBuffers.InversePropensityWeights(counts, 0.5f, 1000f);
        // count^-0.5 = 0.1, 0.2, 0.5, 1; normalised so Σ count·w = Σ count (130 / 17.0).
        var norm = 130.0 / (100 * 0.1 + 25 * 0.2 + 4 * 0.5 + 1);
        Assert.Equal(0.1 * norm, w[0], 5);
        Assert.Equal(0.2 * norm, w[1], 5);
        Assert.Equal(0.5 * norm, w[2], 5);
        Assert.Equal(1.0 * norm, w[3], 5);
        Assert.Equal(0f, w[4]);
        Assert.Equal(1.0, counts.Select((c, i) => (double)c * w[i]).Sum() / counts.Sum(), 5);
        var clipped = SasRec.StepBuffers.InversePropensityWeights(counts, 0.5f, 2f);
        Assert.Equal(2f, clipped[3]);
        Assert.Equal(w[0], clipped[0]);
        Assert.All(SasRec.StepBuffers.InversePropensityWeights(counts, 0f, 10f).Take(4), x => Assert.Equal(1f, x));
    }

    [Fact]
    public void The_weighted_loss_gradient_matches_central_finite_differences()
    {
        var data = Data(users: 40);
        var model = Model(1f, epochs: 2);
        model.Fit(data, new FitOptions { Seed = 3 });
        var l = model.LayoutForTests;
        var p = (float[])model.Parameters.Clone();
        var grads = new float[p.Length];
        var scratch = new float[p.Length];
        model.LossAndGradient(data, 16, p, grads);
        var b = l.Blocks[0];
        int[] picks = [l.ItemEmb + Bestseller * l.D + 1, l.ItemEmb + 5 * l.D + 2, l.PosEmb + 2 * l.D + 3, b.Wqkv + 17, b.Wo + 40, b.W1 + 9, l.LnfB + 11];
        double Loss(double[] v)
        {
            var q = (float[])p.Clone();
            for (var k = 0; k < picks.Length; k++) q[picks[k]] = (float)v[k];
            return model.LossAndGradient(data, 16, q, scratch);
        }
        GradCheck.AssertClose(GradCheck.Numerical(picks.Select(i => (double)p[i]).ToArray(), Loss, h: 1e-3), picks.Select(i => grads[i]).ToArray(), rtol: 2e-2, atol: 2e-4);
    }

    [Fact]
    public void Weighting_by_inverse_popularity_moves_the_bestseller_down_and_a_step_allocates_nothing()
    {
        var keep = Merx.Numerics.Gemm.MaxDegreeOfParallelism;
        Merx.Numerics.Gemm.MaxDegreeOfParallelism = 1;
        try
        {
            var data = Data();
            var plain = Model(0f); var weighted = Model(1f);
            plain.Fit(data, new FitOptions { Seed = 1 });
            weighted.Fit(data, new FitOptions { Seed = 1 });
            // For each history ending in x, the bestseller's rank minus x + 1's: positive when x + 1 comes first.
            double Margin(SasRec m) => Enumerable.Range(1, Items - 1).Average(x =>
            {
                var scores = new float[Items];
                m.Score(-1, [Bestseller, x], scores);
                return scores[1 + x % (Items - 1)] - scores[Bestseller];
            });
            var plainMargin = Margin(plain); var weightedMargin = Margin(weighted);
            Assert.True(weightedMargin > plainMargin + 0.5, $"x + 1 over the bestseller: plain {plainMargin:F3}, weighted {weightedMargin:F3}");
            Assert.True(weightedMargin > 0, $"weighted margin {weightedMargin:F3}");
            Assert.Equal(0, weighted.MeasureStepAllocations(data));
        }
        finally { Merx.Numerics.Gemm.MaxDegreeOfParallelism = keep; }
    }

    [Fact]
    public void Not_combined_with_private_or_federated_training()
    {
        var data = Data(users: 40);
        var dp = new FitOptions { Seed = 1, Privacy = new DpTrainingOptions { TargetEpsilon = 8, SeededNoise = true } };
        Assert.Contains("DP-SGD", Assert.Throws<ArgumentException>(() => Model(0.5f).Fit(data, dp)).Message);
        Assert.Contains("federated", Assert.Throws<ArgumentException>(() => Model(0.5f).InitializeFederated(data, 1)).Message);
    }
}
