using Merx.Privacy.DpSgd;
using Merx.Privacy.Mechanisms;

namespace Merx.Privacy.Tests.DpSgd;

public class DpSgdTests
{
    private static float[] Random(int n, Random rng, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    [Fact]
    public void Kernel_matches_its_scalar_twin_at_every_length()
    {
        var rng = new Random(42);
        for (var n = 0; n <= 256; n++)
        {
            var g = Random(n, rng, n % 3 == 0 ? 0.01f : 3f);
            var sumFast = Random(n, rng, 1f);
            var sumRef = (float[])sumFast.Clone();
            var a = ClipAndAccumulate.Forward(g, sumFast, 1.5f);
            var b = ClipAndAccumulate.Reference(g, sumRef, 1.5f);
            Assert.Equal(b, a, 1e-5f);
            for (var i = 0; i < n; i++) Assert.Equal(sumRef[i], sumFast[i], 1e-5f);
        }
    }

    [Fact]
    public void Each_contribution_is_bounded_by_the_clipping_norm()
    {
        var rng = new Random(1);
        foreach (var scale in new[] { 0.001f, 0.1f, 1f, 100f, 1e6f })
        {
            var g = Random(1000, rng, scale);
            var sum = new float[1000];
            ClipAndAccumulate.Forward(g, sum, 0.75f);
            var norm = Math.Sqrt(sum.Sum(x => (double)x * x));
            var original = Math.Sqrt(g.Sum(x => (double)x * x));
            Assert.True(norm <= 0.75 * (1 + 1e-5), $"scale {scale}: norm {norm}");
            if (original <= 0.75) Assert.Equal(original, norm, 1e-6); // short gradients are untouched
            else Assert.Equal(0.75, norm, 1e-5);
        }
        var bad = new float[] { 1, float.NaN, 2 };
        Assert.Equal(0, ClipAndAccumulate.Forward(bad, new float[3], 1f));
    }

    [Fact]
    public void Without_noise_the_step_is_the_clipped_sum_over_the_expected_batch()
    {
        var rng = new Random(7);
        const int d = 64, users = 30;
        var agg = new DpSgdAggregator(d, clipNorm: 1f, noiseMultiplier: 0, expectedBatchSize: 25, new SeededNoiseSource(1));
        var expected = new double[d];
        agg.Begin();
        for (var u = 0; u < users; u++)
        {
            var g = Random(d, rng, u % 2 == 0 ? 0.05f : 2f);
            var norm = Math.Sqrt(g.Sum(x => (double)x * x));
            var s = Math.Min(1, 1 / norm);
            for (var i = 0; i < d; i++) expected[i] += g[i] * s;
            agg.Add(g);
        }
        var output = new float[d];
        agg.Finish(output);
        for (var i = 0; i < d; i++) Assert.Equal(expected[i] / 25, output[i], 1e-5);
        Assert.Equal(users, agg.UsersInStep);
        Assert.Equal(15, agg.ClippedInStep);
    }

    [Fact]
    public void Noise_has_standard_deviation_sigma_c_over_expected_batch()
    {
        const int d = 40_000;
        var agg = new DpSgdAggregator(d, clipNorm: 2f, noiseMultiplier: 1.3, expectedBatchSize: 50, new SeededNoiseSource(3));
        agg.Begin();
        agg.Add(new float[d]); // one user with a zero gradient: the output is pure noise
        var output = new float[d];
        agg.Finish(output);
        var mean = output.Average(x => (double)x);
        var sd = Math.Sqrt(output.Average(x => (x - mean) * (x - mean)));
        var want = 1.3 * 2 / 50;
        Assert.Equal(0, mean, want * 0.02);
        Assert.Equal(want, sd, want * 0.02); // SE of sd ≈ want/√(2d) = 0.35 %
    }

    [Fact]
    public void A_step_allocates_nothing_after_warm_up()
    {
        const int d = 4096;
        var agg = new DpSgdAggregator(d, 1f, 1.1, 100, new SeededNoiseSource(5));
        var sampler = new PoissonSampler(10_000, 0.01, new SeededNoiseSource(6));
        var g = Random(d, new Random(2), 1f);
        var output = new float[d];
        void Step()
        {
            agg.Begin();
            foreach (var _ in sampler.Sample()) agg.Add(g);
            agg.Finish(output);
        }
        Step();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Poisson_sampler_includes_each_user_with_probability_q()
    {
        const int n = 2000, steps = 2000;
        const double q = 0.02;
        var sampler = new PoissonSampler(n, q, new SeededNoiseSource(11));
        var hits = new int[n];
        long total = 0;
        for (var s = 0; s < steps; s++)
        {
            var batch = sampler.Sample();
            for (var i = 0; i < batch.Length; i++)
            {
                if (i > 0) Assert.True(batch[i] > batch[i - 1]);
                hits[batch[i]]++;
            }
            total += batch.Length;
        }
        Assert.Equal(q * n, total / (double)steps, 0.5);              // mean batch 40, SE 0.14
        var first = hits.Take(n / 2).Sum() / (double)(steps * n / 2);
        var second = hits.Skip(n / 2).Sum() / (double)(steps * n / 2);
        Assert.Equal(q, first, 0.001);                                  // no drift across the index range
        Assert.Equal(q, second, 0.001);
        Assert.Equal(n, new PoissonSampler(n, 1, new SeededNoiseSource(1)).Sample().Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PoissonSampler(n, 0, new SeededNoiseSource(1)));
    }

    [Fact]
    public void Bad_configuration_is_refused()
    {
        var rng = new SeededNoiseSource(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpSgdAggregator(0, 1, 1, 1, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpSgdAggregator(4, 0, 1, 1, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpSgdAggregator(4, 1, -1, 1, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpSgdAggregator(4, 1, 1, 0, rng));
        Assert.Throws<ArgumentException>(() => new DpSgdAggregator(4, 1, 1, 1, rng).Finish(new float[3]));
    }

    [Fact]
    public void A_preclipped_sum_adds_like_the_users_it_stands_for_and_checks_its_counts()
    {
        var rng = new Random(11);
        const int d = 32;
        var grads = Enumerable.Range(0, 6).Select(u => Random(d, rng, u % 2 == 0 ? 0.01f : 3f)).ToArray();
        var one = new DpSgdAggregator(d, 1f, 0, 6, new SeededNoiseSource(1));
        var fused = new DpSgdAggregator(d, 1f, 0, 6, new SeededNoiseSource(1));
        one.Begin(); fused.Begin();
        var pre = new float[d];
        foreach (var g in grads) { one.Add(g); ClipAndAccumulate.Reference(g, pre, 1f); }
        fused.AddPreclipped(pre, 6, 3, 0);
        var a = new float[d]; var b = new float[d];
        one.Finish(a); fused.Finish(b);
        for (var i = 0; i < d; i++) Assert.Equal(a[i], b[i], 1e-6);
        Assert.Equal((one.UsersInStep, one.ClippedInStep), (fused.UsersInStep, fused.ClippedInStep));
        Assert.Throws<ArgumentOutOfRangeException>(() => fused.AddPreclipped(pre, 2, 2, 1));
        Assert.Throws<ArgumentException>(() => fused.AddPreclipped(new float[d + 1], 1, 0, 0));
    }
}
