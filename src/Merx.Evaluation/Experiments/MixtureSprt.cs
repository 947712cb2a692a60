namespace Merx.Evaluation.Experiments;

/// <summary>
/// Settings of the sequential test. <see cref="MixingVariance"/> is τ², the variance of the normal
/// mixing distribution N(0, τ²) over the true difference of proportions θ = pB − pA (absolute
/// scale, e.g. (0.005)² for effects of about half a percentage point). It does not affect validity
/// (the false-positive rate stays ≤ α whatever τ² is) but sets which effects are found fastest:
/// effects near τ are detected soonest, far smaller ones slowly. Choose it from the effects the
/// shop cares about, before looking at the data; <see cref="ForBaseRate"/> does so from a base rate.
/// </summary>
public sealed record SequentialTestOptions
{
    /// <summary>Significance level: the chance of ever declaring a difference when there is none, however often one looks.</summary>
    public double Alpha { get; init; } = 0.05;
    /// <summary>τ², in squared proportion units; must be &gt; 0.</summary>
    public double MixingVariance { get; init; }
    /// <summary>No test before each arm has this many users (the normal approximation needs them).</summary>
    public int MinUsersPerVariant { get; init; } = 100;

    /// <summary>τ = <paramref name="relativeEffect"/> × <paramref name="baseRate"/>: tuned for relative lifts of about that size (10% by default).</summary>
    public static SequentialTestOptions ForBaseRate(double baseRate, double relativeEffect = 0.1, double alpha = 0.05)
    {
        if (!(baseRate > 0 && baseRate < 1)) throw new ArgumentOutOfRangeException(nameof(baseRate), baseRate, "the base rate must be in (0, 1)");
        if (!(relativeEffect > 0)) throw new ArgumentOutOfRangeException(nameof(relativeEffect), relativeEffect, "the relative effect must be > 0");
        var tau = baseRate * relativeEffect;
        return new SequentialTestOptions { Alpha = alpha, MixingVariance = tau * tau };
    }

    public void Validate()
    {
        if (!(Alpha > 0 && Alpha < 1)) throw new ArgumentException($"alpha must be in (0, 1), not {Alpha}");
        if (!(MixingVariance > 0 && double.IsFinite(MixingVariance))) throw new ArgumentException($"the mixing variance τ² must be a positive number, not {MixingVariance}");
        if (MinUsersPerVariant < 1) throw new ArgumentException("MinUsersPerVariant must be at least 1");
    }
}

/// <summary>
/// The mixture sequential probability ratio test (mSPRT) for a difference of two proportions, in
/// its normal approximation (Johari, Pekelis &amp; Walsh 2017, "Always valid inference: bringing
/// sequential analysis to A/B testing", arXiv:1512.04922). With the difference estimate
/// Δ = p̂B − p̂A of variance s² and the mixture θ ~ N(0, τ²), the likelihood ratio against θ = 0 is
/// Λ = √(s²/(s²+τ²)) · exp(τ²Δ² / (2s²(s²+τ²))). Under H0, Λ is (asymptotically) a nonnegative
/// martingale of mean 1, so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α: the always-valid p-value
/// min over looks of 1/Λ may be watched after every user. Here s² is the pooled variance
/// p̄(1−p̄)(1/nA + 1/nB), the variance of Δ under H0, which is steadier in small samples than the
/// unpooled one.
/// </summary>
public static class MixtureSprt
{
    /// <summary>ln Λ for a difference estimate of variance <paramref name="variance"/> (both &gt; 0 variances).</summary>
    public static double LogLikelihoodRatio(double difference, double variance, double mixingVariance) =>
        0.5 * Math.Log(variance / (variance + mixingVariance)) + mixingVariance * difference * difference / (2 * variance * (variance + mixingVariance));

    /// <summary>The pooled variance of p̂B − p̂A under H0 (0 when all or none succeeded).</summary>
    public static double PooledVariance(long successesA, long usersA, long successesB, long usersB)
    {
        var p = (double)(successesA + successesB) / (usersA + usersB);
        return p * (1 - p) * (1.0 / usersA + 1.0 / usersB);
    }

    /// <summary>
    /// The always-valid (1 − α) confidence interval of θ at this look: the θ₀ whose mSPRT would not
    /// reject, Δ ± √(s²(s²+τ²)/τ² · (2 ln(1/α) + ln((s²+τ²)/s²))). Wider than the fixed-horizon CI, and
    /// it may be intersected over looks.
    /// </summary>
    public static (double Lo, double Hi) ConfidenceInterval(double difference, double variance, double mixingVariance, double alpha)
    {
        var half = Math.Sqrt(variance * (variance + mixingVariance) / mixingVariance * (2 * Math.Log(1 / alpha) + Math.Log((variance + mixingVariance) / variance)));
        return (difference - half, difference + half);
    }
}

/// <summary>
/// One treatment-vs-control mSPRT watched continuously: feed it the cumulative counts at every
/// look (every user or event); it keeps the always-valid p-value (running minimum of 1/Λ, so it
/// never rises) and the total users of the two arms at the first look where it fell below α.
/// Not thread-safe: <see cref="ExperimentTracker"/> calls it under its lock.
/// </summary>
public sealed class SequentialMonitor(SequentialTestOptions options, double alpha)
{
    public double Alpha { get; } = alpha;
    public double AlwaysValidP { get; private set; } = 1;
    /// <summary>Users in both arms when the test first became conclusive; null while it is not.</summary>
    public long? ConclusiveAtUsers { get; private set; }
    /// <summary>p̂B − p̂A at that first conclusive look (its sign is the verdict's direction); NaN while not conclusive.</summary>
    public double ConclusiveDifference { get; private set; } = double.NaN;
    public bool Conclusive => ConclusiveAtUsers is not null;
    public long Looks { get; private set; }

    /// <summary>Takes the cumulative successes and users of control (A) and treatment (B); returns the always-valid p-value.</summary>
    public double Update(long successesA, long usersA, long successesB, long usersB)
    {
        if (usersA < options.MinUsersPerVariant || usersB < options.MinUsersPerVariant) return AlwaysValidP;
        var s2 = MixtureSprt.PooledVariance(successesA, usersA, successesB, usersB);
        if (!(s2 > 0)) return AlwaysValidP;
        Looks++;
        var diff = (double)successesB / usersB - (double)successesA / usersA;
        var p = Math.Exp(-MixtureSprt.LogLikelihoodRatio(diff, s2, options.MixingVariance));
        if (p < AlwaysValidP) AlwaysValidP = p;
        if (AlwaysValidP < Alpha && ConclusiveAtUsers is null) { ConclusiveAtUsers = usersA + usersB; ConclusiveDifference = diff; }
        return AlwaysValidP;
    }
}
