using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Merx.Numerics;

namespace Merx.Privacy.Mechanisms;

/// <summary>
/// Source of the random numbers that DP noise is drawn from. Production uses
/// <see cref="CryptoNoiseSource"/> (an attacker must not be able to predict or replay the noise);
/// tests use <see cref="SeededNoiseSource"/> so every figure is reproducible. Instances are not
/// thread-safe: use one per thread.
/// </summary>
public abstract class NoiseSource
{
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>64 uniformly random bits.</summary>
    public abstract ulong NextBits();

    /// <summary>Uniform in the open interval (0, 1), with 53 random bits.</summary>
    public double NextUniform()
    {
        ulong b;
        do b = NextBits() >> 11; while (b == 0);
        return b * (1.0 / (1UL << 53));
    }

    /// <summary>Standard normal N(0, 1) by the Marsaglia polar method (<see cref="Gaussian.Polar"/>; pairs, one kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spareGaussian; }
        var uniform = new Uniform(this);
        var first = Gaussian.Polar(ref uniform, out _spareGaussian);
        _hasSpare = true;
        return first;
    }

    private readonly struct Uniform(NoiseSource source) : IUniformSource
    {
        public double NextUniform() => source.NextUniform();
    }

    /// <summary>Laplace(0, b): density e^(−|x|/b)/(2b), variance 2b², by inverting the CDF.</summary>
    public double NextLaplace(double scale)
    {
        var u = NextUniform() - 0.5; // (−½, ½), never exactly ±½
        return -scale * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u));
    }

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public ulong NextBelow(ulong n)
    {
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(n), "n must be > 0");
        var threshold = (0 - n) % n;
        while (true)
        {
            var x = NextBits();
            var hi = Math.BigMul(x, n, out var lo);
            if (lo >= threshold) return hi;
        }
    }
}

/// <summary>
/// Cryptographically secure noise (the OS CSPRNG via <see cref="RandomNumberGenerator"/>), read 4 KiB
/// at a time. The one to use for anything released.
/// </summary>
public sealed class CryptoNoiseSource : NoiseSource
{
    private readonly ulong[] _buffer = new ulong[512]; // 4 KiB per CSPRNG call: DP-SGD draws one normal per parameter per step
    private int _next = 512;

    /// <inheritdoc />
    public override ulong NextBits()
    {
        if (_next == _buffer.Length)
        {
            RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(_buffer.AsSpan()));
            _next = 0;
        }
        return _buffer[_next++];
    }
}

/// <summary>
/// Deterministic noise for tests and reproducible experiments: xoshiro256** seeded through
/// SplitMix64, so a seed gives the same stream on every platform and .NET version. Never for
/// released figures (its output is predictable from the seed).
/// </summary>
public sealed class SeededNoiseSource : NoiseSource
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededNoiseSource(ulong seed)
    {
        var seeder = new SplitMix64(seed);
        _s0 = seeder.NextULong(); _s1 = seeder.NextULong(); _s2 = seeder.NextULong(); _s3 = seeder.NextULong();
    }

    /// <inheritdoc />
    public override ulong NextBits()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }
}
