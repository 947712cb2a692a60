using Merx.Privacy.Mechanisms;

namespace Merx.Privacy.DpSgd;

/// <summary>
/// One DP-SGD step's gradient over a flat parameter buffer (Abadi et al. 2016, with the user as the
/// privacy unit): each sampled user's gradient is clipped to L2 norm C and summed, Gaussian noise
/// N(0, σ²C²) is added to every coordinate, and the result is divided by the expected batch size
/// q·N (not the realized one, which would leak the batch size). The accountant then charges one
/// Poisson-subsampled Gaussian step with sampling rate q and noise multiplier σ. All buffers are
/// allocated once; a step allocates nothing. Not thread-safe.
/// <code>
/// agg.Begin();
/// foreach (var u in sampler.Sample()) { ComputeUserGradient(u, g); agg.Add(g); }
/// agg.Finish(grad);          // then the optimizer step on grad, and accountant.Step(q, σ)
/// </code>
/// </summary>
public sealed class DpSgdAggregator
{
    private readonly float[] _sum; // (D)
    private readonly NoiseSource _noise;

    /// <param name="dimension">D, number of parameters.</param>
    /// <param name="clipNorm">C &gt; 0, per-user L2 bound.</param>
    /// <param name="noiseMultiplier">σ ≥ 0; the noise std per coordinate is σ·C.</param>
    /// <param name="expectedBatchSize">q·N &gt; 0, the divisor of the noisy sum.</param>
    /// <param name="noise">Noise source (<see cref="CryptoNoiseSource"/> in production).</param>
    public DpSgdAggregator(int dimension, float clipNorm, double noiseMultiplier, double expectedBatchSize, NoiseSource noise)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be ≥ 1");
        if (!(clipNorm > 0) || !float.IsFinite(clipNorm)) throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "clipping norm must be a finite number > 0");
        if (!(noiseMultiplier >= 0) || double.IsInfinity(noiseMultiplier)) throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "noise multiplier must be a finite number ≥ 0");
        if (!(expectedBatchSize > 0)) throw new ArgumentOutOfRangeException(nameof(expectedBatchSize), expectedBatchSize, "expected batch size must be > 0");
        _sum = new float[dimension];
        _noise = noise ?? throw new ArgumentNullException(nameof(noise));
        ClipNorm = clipNorm;
        NoiseMultiplier = noiseMultiplier;
        ExpectedBatchSize = expectedBatchSize;
    }

    public int Dimension => _sum.Length;
    public float ClipNorm { get; }
    public double NoiseMultiplier { get; }
    public double ExpectedBatchSize { get; }

    /// <summary>Users added since <see cref="Begin"/>.</summary>
    public int UsersInStep { get; private set; }

    /// <summary>Of those, how many had a gradient longer than C (a tuning signal for C).</summary>
    public int ClippedInStep { get; private set; }

    /// <summary>Of those, how many had a non-finite gradient and were dropped.</summary>
    public int DroppedInStep { get; private set; }

    /// <summary>Starts a step: clears the sum and the counters.</summary>
    public void Begin()
    {
        Array.Clear(_sum);
        UsersInStep = ClippedInStep = DroppedInStep = 0;
    }

    /// <summary>Adds one user's gradient (D), clipped to C.</summary>
    public void Add(ReadOnlySpan<float> userGradient)
    {
        var scale = ClipAndAccumulate.Forward(userGradient, _sum, ClipNorm);
        UsersInStep++;
        if (scale == 0) DroppedInStep++;
        else if (scale < 1) ClippedInStep++;
    }

    /// <summary>
    /// Adds a sum (D) of per-user contributions the caller has already clipped to L2 norm ≤ C each:
    /// for fused implementations that compute each user's norm and clipped share without
    /// materializing every user's gradient. The guarantee then rests on the caller's clipping (test
    /// it against <see cref="Add"/>). The counts feed <see cref="UsersInStep"/> and the other counters.
    /// </summary>
    public void AddPreclipped(ReadOnlySpan<float> clippedSum, int users, int clipped, int dropped)
    {
        if (clippedSum.Length != _sum.Length) throw new ArgumentException($"sum has {clippedSum.Length} elements, expected {_sum.Length}");
        if (users < 0 || clipped < 0 || dropped < 0 || clipped + dropped > users) throw new ArgumentOutOfRangeException(nameof(users), "counts must be ≥ 0 with clipped + dropped ≤ users");
        System.Numerics.Tensors.TensorPrimitives.Add(_sum, clippedSum, _sum);
        UsersInStep += users; ClippedInStep += clipped; DroppedInStep += dropped;
    }

    /// <summary>output (D) = (clipped sum + N(0, σ²C²)) / (q·N).</summary>
    public void Finish(Span<float> output)
    {
        if (output.Length != _sum.Length) throw new ArgumentException($"output has {output.Length} elements, expected {_sum.Length}");
        var std = NoiseMultiplier * ClipNorm;
        var inv = 1.0 / ExpectedBatchSize;
        for (var i = 0; i < _sum.Length; i++)
        {
            var noisy = std > 0 ? _sum[i] + std * _noise.NextGaussian() : _sum[i];
            output[i] = (float)(noisy * inv);
        }
    }
}
