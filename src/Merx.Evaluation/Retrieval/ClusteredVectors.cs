using Merx.Numerics;

namespace Merx.Evaluation.Retrieval;

/// <summary>
/// A synthetic stand-in for a large catalog's item vectors and its users' query vectors, with the shape
/// that makes maximum-inner-product search hard and ANN indexes useful: items in C = ⌈√n⌉ clusters
/// (centres cⱼ ~ N(0, I_d)); item i = (c_{j(i)} + N(0, 0.5² I)) · e^{0.3 g} with g ~ N(0, 1), so norms vary
/// as popularity does in a trained model; a query is the centre of a uniformly drawn cluster plus
/// N(0, 0.5² I). All draws from <see cref="SplitMix64"/> with Box–Muller, so a seed fixes every number.
/// </summary>
public static class ClusteredVectors
{
    /// <summary>(n, d) item vectors.</summary>
    public static float[] Items(int n, int d, int seed)
    {
        var (centres, c) = Centres(n, d, seed);
        var rng = new SplitMix64((ulong)seed * SplitMix64.Gamma + 1);
        var x = new float[(long)n * d];
        for (var i = 0; i < n; i++)
        {
            var j = rng.Next(c);
            var norm = Math.Exp(0.3 * rng.NextGaussian());
            for (var t = 0; t < d; t++) x[(long)i * d + t] = (float)((centres[j * d + t] + 0.5 * rng.NextGaussian()) * norm);
        }
        return x;
    }

    /// <summary>(count, d) query vectors for a catalog of <paramref name="n"/> items made with the same seed.</summary>
    public static float[] Queries(int n, int d, int count, int seed)
    {
        var (centres, c) = Centres(n, d, seed);
        var rng = new SplitMix64((ulong)seed * SplitMix64.Gamma + 2);
        var q = new float[count * d];
        for (var i = 0; i < count; i++)
        {
            var j = rng.Next(c);
            for (var t = 0; t < d; t++) q[i * d + t] = (float)(centres[j * d + t] + 0.5 * rng.NextGaussian());
        }
        return q;
    }

    private static (double[] Centres, int C) Centres(int n, int d, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        var c = (int)Math.Ceiling(Math.Sqrt(n));
        var rng = new SplitMix64((ulong)seed * SplitMix64.Gamma);
        var centres = new double[c * d];
        for (var i = 0; i < centres.Length; i++) centres[i] = rng.NextGaussian();
        return (centres, c);
    }
}
