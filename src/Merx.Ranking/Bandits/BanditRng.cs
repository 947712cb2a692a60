using Merx.Numerics;

namespace Merx.Ranking.Bandits;

/// <summary>
/// <see cref="SplitMix64"/> with the samplers the policies need (uniform, normal, gamma, beta). Its whole
/// state is one ulong, so a policy's saved state includes it and a restored policy makes the same draws.
/// </summary>
internal struct BanditRng(ulong state)
{
    private SplitMix64 _bits = new(state);

    /// <summary>The generator's whole state, saved and restored with the policy.</summary>
    public ulong State { readonly get => _bits.State; set => _bits.State = value; }

    public static BanditRng FromSeed(int seed) => new(unchecked((ulong)seed * SplitMix64.Gamma + 0x632BE59BD9B4E019UL));

    public ulong NextULong() => _bits.NextULong();

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => _bits.NextDouble();

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => _bits.Next(n);

    /// <summary>Standard normal (Box–Muller, one of the pair).</summary>
    public double NextGaussian() => _bits.NextGaussian();

    /// <summary>Gamma(shape, 1) by Marsaglia–Tsang; shapes below 1 use the boost Gamma(a+1)·U^(1/a).</summary>
    public double NextGamma(double shape)
    {
        if (shape < 1)
        {
            var u = NextDouble();
            return NextGamma(shape + 1) * Math.Pow(1 - u, 1 / shape);
        }
        var d = shape - 1.0 / 3; var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = NextGaussian(); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            var u = NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>Beta(a, b) as G_a / (G_a + G_b).</summary>
    public double NextBeta(double a, double b)
    {
        var x = NextGamma(a); var y = NextGamma(b);
        return x + y > 0 ? x / (x + y) : 0.5;
    }
}
