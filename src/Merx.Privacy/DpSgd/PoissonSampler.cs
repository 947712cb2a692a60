using Merx.Privacy.Mechanisms;

namespace Merx.Privacy.DpSgd;

/// <summary>
/// Poisson sampling of users for DP-SGD: every user independently with probability q per step, which
/// is what the sampled-Gaussian accountant assumes (fixed-size shuffled batches are a different
/// mechanism). Draws the gaps between chosen users from the geometric distribution, so a step costs
/// O(qN), not O(N); indices come out ascending in a buffer reused across steps (no allocation).
/// </summary>
public sealed class PoissonSampler
{
    private readonly int[] _buffer;
    private readonly double _log1mQ;
    private readonly NoiseSource _rng;

    /// <param name="population">N, users indexed 0..N−1.</param>
    /// <param name="rate">q in (0, 1].</param>
    /// <param name="rng">Randomness (crypto in production: the sample is part of the mechanism).</param>
    public PoissonSampler(int population, double rate, NoiseSource rng)
    {
        if (population < 1) throw new ArgumentOutOfRangeException(nameof(population), population, "population must be ≥ 1");
        if (!(rate > 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "sampling rate must be in (0, 1]");
        Population = population;
        Rate = rate;
        _rng = rng ?? throw new ArgumentNullException(nameof(rng));
        _buffer = new int[population];
        _log1mQ = rate < 1 ? Accounting.LogMath.Log1P(-rate) : double.NegativeInfinity;
    }

    public int Population { get; }
    public double Rate { get; }

    /// <summary>Expected batch size q·N (the divisor DP-SGD uses).</summary>
    public double ExpectedBatchSize => Rate * Population;

    /// <summary>The users sampled for one step, ascending; valid until the next call.</summary>
    public ReadOnlySpan<int> Sample()
    {
        if (Rate >= 1)
        {
            for (var i = 0; i < Population; i++) _buffer[i] = i;
            return _buffer;
        }
        var n = 0;
        long next = -1;
        while (true)
        {
            // Gap before the next chosen user ~ Geometric(q): ⌊log U / log(1−q)⌋.
            var gap = Math.Floor(Math.Log(_rng.NextUniform()) / _log1mQ);
            if (gap >= Population) break;
            next += 1 + (long)gap;
            if (next >= Population) break;
            _buffer[n++] = (int)next;
        }
        return _buffer.AsSpan(0, n);
    }
}
