namespace Merx.Privacy.Federated;

/// <summary>
/// Fixed-point encoding of floats into the ring Z/2⁶⁴ (ulong arithmetic wraps), so that random masks
/// cancel exactly. A value v becomes round(v·scale) as a two's-complement 64-bit integer; a sum of up
/// to <c>maxClients</c> values each within ±<c>maxAbs</c> stays below 2⁶² in magnitude and decodes
/// exactly, with an error of at most maxClients/(2·scale).
/// </summary>
public sealed class FixedPoint
{
    /// <param name="maxAbs">Largest |value| a client may send (values beyond are refused).</param>
    /// <param name="maxClients">Most clients summed in one round.</param>
    public FixedPoint(double maxAbs, int maxClients)
    {
        if (!(maxAbs > 0) || double.IsInfinity(maxAbs)) throw new ArgumentOutOfRangeException(nameof(maxAbs), maxAbs, "maxAbs must be a finite number > 0");
        if (maxClients < 1) throw new ArgumentOutOfRangeException(nameof(maxClients), maxClients, "maxClients must be ≥ 1");
        MaxAbs = maxAbs;
        MaxClients = maxClients;
        Scale = Math.Pow(2, 62) / (maxAbs * maxClients);
    }

    public double MaxAbs { get; }
    public int MaxClients { get; }

    /// <summary>Units per 1.0.</summary>
    public double Scale { get; }

    /// <summary>Largest error of a decoded sum of <paramref name="clients"/> values.</summary>
    public double MaxSumError(int clients) => clients * 0.5 / Scale;

    public ulong Encode(double v)
    {
        if (!(Math.Abs(v) <= MaxAbs)) throw new ArgumentOutOfRangeException(nameof(v), v, $"value outside ±{MaxAbs} (clip updates before encoding)");
        return unchecked((ulong)(long)Math.Round(v * Scale));
    }

    public double Decode(ulong ringSum) => unchecked((long)ringSum) / Scale;
}
