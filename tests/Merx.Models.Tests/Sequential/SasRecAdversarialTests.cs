using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Sequential;
using Merx.Tests.Shared;

namespace Merx.Models.Tests.Sequential;

/// <summary>Issue 20: adversarial training of the Transformer's item vectors (APR / the fast gradient method), off by default.</summary>
[Collection(GemmParallelismCollection.Name)]
public class SasRecAdversarialTests
{
    private const int Items = 30;
    private const float Epsilon = 0.1f, Lambda = 0.5f;

    /// <summary>Users walk i → i+1 over items 0..28 from different starts (no side information: the item vectors are the id embeddings).</summary>
    private static TrainingData Data(int users = 60, int length = 10)
    {
        var lists = Enumerable.Range(0, users).Select(u => (IReadOnlyList<int>)Enumerable.Range(0, length).Select(k => (u * 7 + k) % 29).ToList()).ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i }).ToArray();
        return new TrainingData(split.Train, catalog, split.Validation);
    }

    private static SasRec Model(float epsilon) =>
        new(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 2, EvalEvery = 5, Patience = 100, ClipNorm = 1e9f,
            UseSideInformation = false, AdversarialEpsilon = epsilon, AdversarialWeight = Lambda });

    [Fact]
    public void A_name_with_a_setting_chooses_epsilon_and_bad_settings_are_clear_errors()
    {
        var model = (SasRec)ModelRegistry.Create("sasrec-adv:0.5");
        Assert.Equal(0.5f, model.Options.AdversarialEpsilon);
        Assert.Equal("sasrec-adv:0.5", model.Name);
        Assert.Equal("sasrec-adv", ModelRegistry.Create("sasrec-adv").Name);
        Assert.True(ModelRegistry.IsKnown("sasrec-adv:0.5"));
        foreach (var bad in new[] { "sasrec-adv:0", "sasrec-adv:3", "sasrec-adv:x" })
            Assert.Contains("ε must be a number in (0, 2]", Assert.Throws<ArgumentException>(() => ModelRegistry.Create(bad)).Message);
    }

    [Fact]
    public void Off_by_default()
    {
        Assert.Equal(0f, new SasRecOptions().AdversarialEpsilon);
        Assert.Equal(SasRec.ModelName, new SasRec().Name);
        Assert.Equal(SasRec.AdversarialName, ModelRegistry.Create(SasRec.AdversarialName).Name);
        Assert.Throws<ArgumentException>(() => new SasRec(new SasRecOptions { AdversarialEpsilon = -1 }));
    }

    [Fact]
    public void The_perturbation_follows_the_clean_gradient_and_the_adversarial_objective_matches_central_finite_differences()
    {
        var data = Data();
        var model = Model(Epsilon);
        model.Fit(data, new FitOptions { Seed = 3 });
        var l = model.LayoutForTests;
        var p = (float[])model.Parameters.Clone();
        var scratch = new float[p.Length];
        var zero = new float[l.Items * l.D];

        // With δ held at zero the objective is (1 + λ)·L: the clean gradient, checked against finite differences of L.
        var clean = new float[p.Length];
        model.LossAndGradient(data, 16, p, clean, fixedDelta: zero);
        var embPicks = new[] { 3 * l.D + 1, 5 * l.D + 2, 11 * l.D + 7, 20 * l.D + 15 }.Select(k => l.ItemEmb + k).ToArray();
        double CleanLoss(double[] v) => model.LossAndGradient(data, 16, With(p, embPicks, v), scratch, fixedDelta: zero) / (1 + Lambda);
        GradCheck.AssertClose(GradCheck.Numerical(embPicks.Select(i => (double)p[i]).ToArray(), CleanLoss, h: 1e-3),
            embPicks.Select(i => clean[i] / (1 + Lambda)).ToArray(), rtol: 2e-2, atol: 2e-4);

        // δ per item = ε·‖rᵢ‖·gᵢ/‖gᵢ‖ from that clean gradient (the item vectors are the id embeddings here).
        var delta = new float[l.Items * l.D];
        var grads = new float[p.Length];
        var objective = model.LossAndGradient(data, 16, p, grads, deltaOut: delta);
        for (var i = 0; i < Items; i++)
        {
            var g = clean.AsSpan(l.ItemEmb + i * l.D, l.D).ToArray().Select(x => (double)x / (1 + Lambda)).ToArray();
            var r = p.AsSpan(l.ItemEmb + i * l.D, l.D).ToArray();
            double gn = Math.Sqrt(g.Sum(x => x * x)), rn = Math.Sqrt(r.Sum(x => (double)x * x));
            for (var k = 0; k < l.D; k++) Assert.Equal(Epsilon * rn * g[k] / gn, delta[i * l.D + k], 1e-5);
        }

        // The worst case: the loss rises more along δ than along a random perturbation of the same per-item lengths.
        var random = RandomLike(delta, l.D, new Random(5));
        var cleanObjective = model.LossAndGradient(data, 16, p, scratch, fixedDelta: zero);
        var randomObjective = model.LossAndGradient(data, 16, p, scratch, fixedDelta: random);
        Assert.True(objective - cleanObjective > 5 * Math.Abs(randomObjective - cleanObjective),
            $"adversarial rise {objective - cleanObjective:G4} vs random {randomObjective - cleanObjective:G4}");

        // The gradient of L(R) + λ·L(R + δ) with δ held fixed, against central finite differences over every kind of parameter.
        var b = l.Blocks[0];
        var picks = embPicks.Concat([l.PosEmb + 2 * l.D + 3, b.Wqkv + 17, b.Wo + 40, b.W1 + 9, b.B2 + 4, b.Ln1G + 6, l.LnfB + 11]).ToArray();
        double Objective(double[] v) => model.LossAndGradient(data, 16, With(p, picks, v), scratch, fixedDelta: delta);
        GradCheck.AssertClose(GradCheck.Numerical(picks.Select(i => (double)p[i]).ToArray(), Objective, h: 1e-3),
            picks.Select(i => grads[i]).ToArray(), rtol: 2e-2, atol: 2e-4);
        Assert.True(Math.Abs(grads[embPicks[0]] - clean[embPicks[0]]) > 1e-5, "the perturbed pass changes the gradient");
    }

    [Fact]
    public void An_adversarially_trained_tiny_model_learns_the_walk_as_well_and_a_step_allocates_nothing()
    {
        var keep = Merx.Numerics.Gemm.MaxDegreeOfParallelism;
        Merx.Numerics.Gemm.MaxDegreeOfParallelism = 1;
        try
        {
            var data = Data(users: 120, length: 12);
            var model = new SasRec(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 40, EvalEvery = 5,
                Patience = 100, UseSideInformation = false, AdversarialEpsilon = Epsilon });
            model.Fit(data, new FitOptions { Seed = 1 });
            // The plain model's bar on the same task (SasRecTests.LearnsTheNextItemOfATinySequenceTask).
            Assert.True(model.BestValidationNdcg > 0.9, $"validation NDCG@10 {model.BestValidationNdcg}");
            Assert.Equal(6, model.Recommend(-1, [3, 4, 5], 1, RecommendFilter.None)[0].Item);
            Assert.Equal(0, model.MeasureStepAllocations(data));
        }
        finally { Merx.Numerics.Gemm.MaxDegreeOfParallelism = keep; }
    }

    private static float[] With(float[] p, int[] picks, double[] v)
    {
        var q = (float[])p.Clone();
        for (var k = 0; k < picks.Length; k++) q[picks[k]] = (float)v[k];
        return q;
    }

    private static float[] RandomLike(float[] delta, int d, Random rng)
    {
        var result = new float[delta.Length];
        for (var i = 0; i < delta.Length / d; i++)
        {
            var norm = Math.Sqrt(delta.AsSpan(i * d, d).ToArray().Sum(x => (double)x * x));
            var v = Enumerable.Range(0, d).Select(_ => Gaussian01(rng)).ToArray();
            var vn = Math.Sqrt(v.Sum(x => x * x));
            for (var k = 0; k < d; k++) result[i * d + k] = (float)(v[k] / vn * norm);
        }
        return result;
    }

    private static double Gaussian01(Random rng) => Merx.Numerics.Gaussian.Next(rng, 1.0);
}
