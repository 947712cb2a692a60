namespace Merx.Numerics;

/// <summary>
/// The one home of the normal samplers. Two methods, because seeded streams already depend on each:
/// Box–Muller (one normal from two uniforms: initial weights, synthetic data, bandit sampling) and
/// Marsaglia's polar method (a pair by rejection: DP noise, A/B simulation). Changing either would
/// change every seeded figure, so their arithmetic is fixed here, in this order.
/// </summary>
public static class Gaussian
{
    /// <summary>
    /// std · √(−2 ln(1 − u₁)) · cos(2π u₂) for uniforms u₁, u₂ in [0, 1): N(0, std²). The product is
    /// taken left to right, so std = 1 gives exactly the textbook √(…)·cos(…).
    /// </summary>
    public static double BoxMuller(double u1, double u2, double std = 1) =>
        std * Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);

    /// <summary>N(0, std²) by <see cref="BoxMuller"/> from two draws of <paramref name="rng"/> (u₁ first).</summary>
    public static double Next(System.Random rng, double std = 1) => BoxMuller(rng.NextDouble(), rng.NextDouble(), std);

    /// <summary>
    /// A pair of independent standard normals by Marsaglia's polar method from a uniform source on
    /// (0, 1) or [0, 1): returns u·f and sets <paramref name="second"/> = v·f, f = √(−2 ln s / s).
    /// </summary>
    public static double Polar<TUniform>(ref TUniform uniform, out double second) where TUniform : struct, IUniformSource
    {
        double u, v, s;
        do
        {
            u = 2 * uniform.NextUniform() - 1;
            v = 2 * uniform.NextUniform() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        var f = Math.Sqrt(-2 * Math.Log(s) / s);
        second = v * f;
        return u * f;
    }
}

/// <summary>A source of uniform doubles for <see cref="Gaussian.Polar"/>, as a struct so the JIT specializes the loop.</summary>
public interface IUniformSource
{
    /// <summary>Uniform in [0, 1) or (0, 1).</summary>
    double NextUniform();
}
