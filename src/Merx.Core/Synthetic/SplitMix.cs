using Merx.Numerics;

namespace Merx.Core.Synthetic;

/// <summary>
/// The shop generator's samplers over <see cref="SplitMix64"/>, whose output is fixed by its definition,
/// so a seed gives the same shop on every .NET version and machine (System.Random makes no such promise).
/// </summary>
internal struct SplitMix(ulong state)
{
    private SplitMix64 _bits = new(state);

    /// <summary>An independent stream per (seed, stream): one per user, so users generate in parallel.</summary>
    public static SplitMix For(int seed, long stream) => new(unchecked((ulong)seed * SplitMix64.Gamma ^ (ulong)stream * 0xD1B54A32D192ED03UL));

    public ulong NextULong() => _bits.NextULong();

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => _bits.NextDouble();

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => _bits.Next(n);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian() => _bits.NextGaussian();

    /// <summary>Exponential with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1 - NextDouble());

    public T Pick<T>(IReadOnlyList<T> list) => list[Next(list.Count)];
}
