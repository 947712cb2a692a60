namespace Merx.Numerics;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): the one seeded generator of the solution. Its output is
/// fixed by its definition, so a seed gives the same stream on every .NET version and machine
/// (<see cref="System.Random"/> makes no such promise), and its whole state is one ulong, so a saved
/// <see cref="State"/> restores the stream exactly. Used by the synthetic shop, the bandit policies and
/// to seed the DP noise generator; draws inside a training step use <see cref="XorShift64"/>.
/// </summary>
public struct SplitMix64(ulong state)
{
    /// <summary>The whole state: the next output is a function of it alone.</summary>
    public ulong State = state;

    /// <summary>The golden-ratio increment, also the usual multiplier for turning a seed into a state.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>64 random bits.</summary>
    public ulong NextULong()
    {
        var z = State += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n) by multiply-shift on the top 31 bits (n &lt; 2³¹; a bias below n/2³¹).</summary>
    public int Next(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    /// <summary>Standard normal from two uniforms (<see cref="Gaussian.BoxMuller"/>, one of the pair).</summary>
    public double NextGaussian() => Gaussian.BoxMuller(NextDouble(), NextDouble());
}
