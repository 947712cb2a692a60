namespace Merx.Core.Synthetic;

/// <summary>
/// SplitMix64: a tiny, fast generator whose output is fixed by its definition, so a seed gives the
/// same shop on every .NET version and machine (System.Random makes no such promise across versions).
/// </summary>
internal struct SplitMix(ulong state)
{
    private ulong _state = state;

    public static SplitMix For(int seed, long stream) => new(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)stream * 0xD1B54A32D192ED03UL));

    public ulong NextULong()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());

    /// <summary>Exponential with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1 - NextDouble());

    public T Pick<T>(IReadOnlyList<T> list) => list[Next(list.Count)];
}
