namespace Merx.Privacy.Accounting;

/// <summary>
/// Rényi-DP of the Poisson-subsampled Gaussian mechanism (the mechanism of one DP-SGD step):
/// each record is included with probability q, the sum of clipped contributions (L2 sensitivity 1
/// after dividing by the clipping norm) gets N(0, σ²) noise. Follows Mironov, Talwar &amp; Zhang 2019,
/// "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (arXiv:1908.10530): the RDP at
/// order α is log(A_α)/(α−1) with A_α = E_{z∼μ0}[(μ(z)/μ0(z))^α], μ = (1−q)μ0 + qμ1,
/// μ0 = N(0,σ²), μ1 = N(1,σ²). Integer α: a finite binomial sum (Section 3.2); fractional α: the
/// two convergent series with erfc weights (Section 3.3). All sums run in log space.
/// </summary>
public static class SampledGaussianRdp
{
    /// <summary>
    /// RDP ε(α) of one step. <paramref name="q"/> ∈ [0, 1] is the sampling rate,
    /// <paramref name="noiseMultiplier"/> σ = noise std / clipping norm (0 gives +∞), α &gt; 1.
    /// </summary>
    public static double Rdp(double q, double noiseMultiplier, double order)
    {
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "sampling rate must be in [0, 1]");
        if (!(noiseMultiplier >= 0)) throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "noise multiplier must be ≥ 0");
        if (!(order > 1) || double.IsInfinity(order)) throw new ArgumentOutOfRangeException(nameof(order), order, "RDP order must be a finite number > 1");
        if (q == 0) return 0;
        if (noiseMultiplier == 0) return double.PositiveInfinity;
        var s2 = noiseMultiplier * noiseMultiplier;
        if (q == 1) return order / (2 * s2); // the plain Gaussian mechanism
        var logA = order == Math.Floor(order) ? LogAInteger(q, s2, (int)order) : LogAFractional(q, noiseMultiplier, order);
        return logA / (order - 1);
    }

    /// <summary>RDP of one step at each order (same length as <paramref name="orders"/>).</summary>
    public static double[] Rdp(double q, double noiseMultiplier, IReadOnlyList<double> orders)
    {
        var r = new double[orders.Count];
        for (var i = 0; i < r.Length; i++) r[i] = Rdp(q, noiseMultiplier, orders[i]);
        return r;
    }

    /// <summary>log A_α = log Σ_{i=0..α} C(α,i) qⁱ(1−q)^(α−i) exp((i²−i)/(2σ²)) for integer α.</summary>
    private static double LogAInteger(double q, double s2, int alpha)
    {
        var logQ = Math.Log(q);
        var log1mQ = LogMath.Log1P(-q);
        var logBinom = 0.0; // log C(α, 0)
        var acc = double.NegativeInfinity;
        for (var i = 0; i <= alpha; i++)
        {
            if (i > 0) logBinom += Math.Log(alpha - i + 1) - Math.Log(i);
            var term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * (double)i - i) / (2 * s2);
            acc = LogMath.LogAdd(acc, term);
        }
        return acc;
    }

    /// <summary>
    /// Fractional α: A_α = A₀ + A₁ with
    /// A₀ = Σ_i C(α,i) qⁱ(1−q)^(α−i) e^((i²−i)/(2σ²)) · ½erfc((i−z₀)/(√2σ)),
    /// A₁ = Σ_i C(α,i) q^(α−i)(1−q)ⁱ e^(((α−i)²−(α−i))/(2σ²)) · ½erfc((z₀−(α−i))/(√2σ)),
    /// z₀ = σ² log(1/q − 1) + ½. Binomials of a fractional α change sign past i = ⌊α⌋+1, so each
    /// series keeps its running log magnitude with LogAdd/LogSub; it stops once both new terms
    /// are below e^−30 (negligible, as A_α ≥ 1).
    /// </summary>
    private static double LogAFractional(double q, double sigma, double alpha)
    {
        var s2 = sigma * sigma;
        var z0 = s2 * Math.Log(1 / q - 1) + 0.5;
        var logQ = Math.Log(q);
        var log1mQ = LogMath.Log1P(-q);
        var sqrt2Sigma = Math.Sqrt(2) * sigma;
        double a0 = double.NegativeInfinity, a1 = double.NegativeInfinity;
        var binom = 1.0; // C(α, i), signed, by the recurrence C(α,i) = C(α,i−1)·(α−i+1)/i
        for (var i = 0; i < 100_000; i++)
        {
            if (i > 0) binom *= (alpha - i + 1) / i;
            var logCoef = Math.Log(Math.Abs(binom));
            var j = alpha - i;
            var t0 = logCoef + i * logQ + j * log1mQ;
            var t1 = logCoef + j * logQ + i * log1mQ;
            var e0 = Math.Log(0.5) + LogMath.LogErfc((i - z0) / sqrt2Sigma);
            var e1 = Math.Log(0.5) + LogMath.LogErfc((z0 - j) / sqrt2Sigma);
            var s0 = t0 + (i * (double)i - i) / (2 * s2) + e0;
            var s1 = t1 + (j * j - j) / (2 * s2) + e1;
            if (binom > 0) { a0 = LogMath.LogAdd(a0, s0); a1 = LogMath.LogAdd(a1, s1); }
            else { a0 = LogMath.LogSub(a0, s0); a1 = LogMath.LogSub(a1, s1); }
            if (Math.Max(s0, s1) < -30) break;
        }
        return LogMath.LogAdd(a0, a1);
    }
}
