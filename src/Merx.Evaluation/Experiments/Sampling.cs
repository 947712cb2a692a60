using Merx.Numerics;

namespace Merx.Evaluation.Experiments;

/// <summary>Random variates the A/B simulation needs, from a caller's seeded <see cref="Random"/>.</summary>
public static class Sampling
{
    /// <summary>A standard normal variate (Marsaglia's polar method).</summary>
    public static double Normal(Random rng)
    {
        var uniform = new Uniform(rng);
        return Gaussian.Polar(ref uniform, out _);
    }

    private readonly struct Uniform(Random rng) : IUniformSource
    {
        public double NextUniform() => rng.NextDouble();
    }

    /// <summary>Gamma(shape, 1) by Marsaglia &amp; Tsang (2000); shapes below 1 via Gamma(shape + 1)·U^(1/shape).</summary>
    public static double Gamma(Random rng, double shape)
    {
        if (!(shape > 0)) throw new ArgumentOutOfRangeException(nameof(shape), shape, "shape must be > 0");
        if (shape < 1) return Gamma(rng, shape + 1) * Math.Pow(1 - rng.NextDouble(), 1 / shape);
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = Normal(rng); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            var u = 1 - rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>Beta(a, b) as X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b).</summary>
    public static double Beta(Random rng, double a, double b)
    {
        var x = Gamma(rng, a);
        return x / (x + Gamma(rng, b));
    }

    /// <summary>Poisson(mean) by multiplying uniforms (Knuth); for the small means used here.</summary>
    public static int Poisson(Random rng, double mean)
    {
        if (!(mean >= 0) || mean > 500) throw new ArgumentOutOfRangeException(nameof(mean), mean, "mean must be in [0, 500]");
        var limit = Math.Exp(-mean);
        var k = 0;
        for (var p = rng.NextDouble(); p > limit; p *= rng.NextDouble()) k++;
        return k;
    }
}
