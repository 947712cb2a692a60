using System.Globalization;

namespace Merx.Evaluation.OffPolicy;

/// <summary>
/// The chance that a shopper looks at each slot of a list (position bias), for the examination-model
/// estimator of off-policy evaluation and the simulator's clicks.
/// </summary>
public static class ExaminationModel
{
    /// <summary>The DCG discount 1/log2(j + 2) for slots j = 0 … <paramref name="slots"/> − 1: the simulator's position bias.</summary>
    public static double[] Dcg(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        return [.. Enumerable.Range(0, slots).Select(j => 1 / Math.Log2(j + 2))];
    }

    /// <summary>Whether <paramref name="spec"/> asks for θ estimated from the log ("estimate") rather than given.</summary>
    public static bool Estimated(string spec) => spec.Trim().Equals("estimate", StringComparison.OrdinalIgnoreCase);

    /// <summary>"dcg" (the DCG discount for <paramref name="slots"/> slots) or comma-separated probabilities in (0, 1], one per slot, best slot first.</summary>
    public static double[] Parse(string spec, int slots)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (spec.Trim().Equals("dcg", StringComparison.OrdinalIgnoreCase)) return Dcg(slots);
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        var theta = new double[parts.Length];
        for (var j = 0; j < parts.Length; j++)
            if (!double.TryParse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture, out theta[j]) || !(theta[j] > 0 && theta[j] <= 1))
                throw new ArgumentException($"examination '{spec}': slot {j}'s value '{parts[j]}' is not a probability in (0, 1]; give 'dcg', 'estimate' or one value per slot");
        if (theta.Length < slots) throw new ArgumentException($"examination '{spec}' gives {theta.Length} slot(s); the logged lists have up to {slots}");
        return theta;
    }

    /// <summary>
    /// Estimates θ from the log itself under the examination (position-based) model P(click | slot j, exploit rank r) =
    /// θ_j·γ_r, pooled over requests: maximum likelihood by EM over the table of shows and clicks per (slot, exploit-rank
    /// bucket), the buckets of <see cref="RankBuckets"/> (Chuklin et al. 2015, the PBM's EM; Wang et al. 2018 estimate
    /// position bias from logs the same way). Position and relevance separate only where the logging policy shows the
    /// same exploit rank in several slots (exploration, Thompson draws, Dynamic); a log that always shows rank r in slot r
    /// (the exploit slate) is refused with the reason. Pooling assumes that, given its exploit rank, where an item lands
    /// says nothing more about how much this shopper likes it: true for ε-style exploration, an approximation for
    /// policies whose draws follow their estimates. Intervals: percentile, over <paramref name="resamples"/> Poisson
    /// bootstrap replicates of the lists.
    /// </summary>
    public static ExaminationFit Fit(IReadOnlyList<LoggedSlate> log, int resamples = 200, int seed = 1, double confidence = 0.95) =>
        TryFit(log, out var reason, resamples, seed, confidence) ?? throw new ArgumentException(reason, nameof(log));

    /// <summary><see cref="Fit"/>, or null with the <paramref name="reason"/> when the log holds no click or cannot separate position from relevance.</summary>
    public static ExaminationFit? TryFit(IReadOnlyList<LoggedSlate> log, out string reason, int resamples = 200, int seed = 1, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.Count < 2) throw new ArgumentException("estimating the examination model needs at least two logged lists", nameof(log));
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 20);
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), "confidence must be in (0, 1)");
        foreach (var s in log) s.Validate();
        var k = log.Max(s => s.Slots);
        var buckets = RankBuckets.Count(k, log.Max(s => s.Candidates));
        var shows = new double[k, buckets]; var clicks = new double[k, buckets];
        Tally(log, k, null, shows, clicks);
        if (log.All(s => s.Rewards.All(r => r <= 0))) { reason = "the log holds no click: there is nothing to estimate the examination model from"; return null; }
        if (!Connected(shows, k, buckets, out var why))
        {
            reason = $"the log cannot separate position from relevance: {why}. Log with exploration (ranked:E, egreedy, thompson, dynamic with propensities) or give the curve (--examination dcg or one value per slot)";
            return null;
        }
        reason = "";
        var movement = Movement(shows);
        var theta = Em(shows, clicks, k, buckets, out var iterations);
        var replicates = new double[resamples][];
        var w = new byte[log.Count];
        for (var b = 0; b < resamples; b++)
        {
            BootstrapWeights(seed, b, w);
            Array.Clear(shows); Array.Clear(clicks);
            Tally(log, k, w, shows, clicks);
            replicates[b] = Em(shows, clicks, k, buckets, out _);
        }
        var lo = new double[k]; var hi = new double[k];
        var column = new double[resamples];
        for (var j = 0; j < k; j++)
        {
            for (var b = 0; b < resamples; b++) column[b] = replicates[b][j];
            Array.Sort(column);
            lo[j] = Percentile(column, (1 - confidence) / 2); hi[j] = Percentile(column, 1 - (1 - confidence) / 2);
        }
        return new ExaminationFit(theta, lo, hi, replicates, seed, confidence) { Movement = movement, Iterations = iterations };
    }

    /// <summary>Replicate <paramref name="replicate"/>'s Poisson(1) weight of each list (the Poisson bootstrap), the same for a given seed wherever it is drawn.</summary>
    public static void BootstrapWeights(int seed, int replicate, Span<byte> weights)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + replicate * 7_919 + 17));
        var limit = Math.Exp(-1);
        for (var i = 0; i < weights.Length; i++)
        {
            var x = 0; var p = rng.NextDouble();
            while (p > limit && x < 255) { x++; p *= rng.NextDouble(); }
            weights[i] = (byte)x;
        }
    }

    /// <summary>The percentile of sorted values, interpolated between neighbours.</summary>
    internal static double Percentile(double[] sorted, double q)
    {
        var x = q * (sorted.Length - 1);
        var i = (int)Math.Floor(x);
        return i + 1 < sorted.Length ? sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]) : sorted[^1];
    }

    private static void Tally(IReadOnlyList<LoggedSlate> log, int k, byte[]? weights, double[,] shows, double[,] clicks)
    {
        for (var i = 0; i < log.Count; i++)
        {
            double w = weights is null ? 1 : weights[i];
            if (w == 0) continue;
            var s = log[i];
            for (var j = 0; j < s.Slots; j++)
            {
                var b = RankBuckets.Of(s.Ranks[j], k);
                shows[j, b] += w; clicks[j, b] += w * Math.Clamp(s.Rewards[j], 0, 1);
            }
        }
    }

    private static double Movement(double[,] shows)
    {
        double total = 0, off = 0;
        for (var b = 0; b < shows.GetLength(1); b++)
        {
            double sum = 0, max = 0;
            for (var j = 0; j < shows.GetLength(0); j++) { sum += shows[j, b]; max = Math.Max(max, shows[j, b]); }
            total += sum; off += sum - max;
        }
        return total > 0 ? off / total : 0;
    }

    /// <summary>The minimum shows of a (slot, bucket) cell for it to link its slot and bucket in the identification check.</summary>
    private const double LinkShows = 20;

    /// <summary>Whether every slot is linked to the first through buckets shown in both (cells with ≥ <see cref="LinkShows"/> shows): only then are all θ ratios identified.</summary>
    private static bool Connected(double[,] shows, int k, int buckets, out string reason)
    {
        var slotSeen = new bool[k]; var bucketSeen = new bool[buckets];
        var queue = new Queue<(bool Slot, int Index)>();
        slotSeen[0] = true; queue.Enqueue((true, 0));
        while (queue.Count > 0)
        {
            var (isSlot, x) = queue.Dequeue();
            if (isSlot)
            {
                for (var b = 0; b < buckets; b++)
                    if (!bucketSeen[b] && shows[x, b] >= LinkShows) { bucketSeen[b] = true; queue.Enqueue((false, b)); }
            }
            else
                for (var j = 0; j < k; j++)
                    if (!slotSeen[j] && shows[j, x] >= LinkShows) { slotSeen[j] = true; queue.Enqueue((true, j)); }
        }
        var missing = Enumerable.Range(0, k).Where(j => !slotSeen[j]).ToArray();
        reason = missing.Length == 0 ? "" : $"slot(s) {string.Join(", ", missing)} share no exploit rank with slot 0 (at least {LinkShows:F0} shows of the same rank bucket in both)";
        return missing.Length == 0;
    }

    private const int MaxIterations = 20_000;

    /// <summary>EM for P(click) = θ_j·γ_b over a table of shows and clicks; θ normalised to 1 at its largest.</summary>
    private static double[] Em(double[,] shows, double[,] clicks, int k, int buckets, out int iterations)
    {
        var theta = new double[k]; var gamma = new double[buckets];
        var nextTheta = new double[k]; var nextGamma = new double[buckets];
        Array.Fill(theta, 0.5);
        for (var b = 0; b < buckets; b++)
        {
            double n = 0, c = 0;
            for (var j = 0; j < k; j++) { n += shows[j, b]; c += clicks[j, b]; }
            gamma[b] = n > 0 ? Math.Clamp(2 * c / n, 1e-9, 0.999) : 0;
        }
        var slotShows = new double[k]; var bucketShows = new double[buckets];
        iterations = 0;
        for (var it = 0; it < MaxIterations; it++)
        {
            iterations = it + 1;
            Array.Clear(nextTheta); Array.Clear(nextGamma); Array.Clear(slotShows); Array.Clear(bucketShows);
            for (var j = 0; j < k; j++)
                for (var b = 0; b < buckets; b++)
                {
                    var n = shows[j, b];
                    if (n == 0) continue;
                    var c = clicks[j, b]; var u = n - c;
                    var denominator = 1 - theta[j] * gamma[b];
                    // E-step for the shows without a click: P(examined | no click), P(attractive | no click).
                    var examined = denominator > 0 ? theta[j] * (1 - gamma[b]) / denominator : 0;
                    var attractive = denominator > 0 ? (1 - theta[j]) * gamma[b] / denominator : 0;
                    nextTheta[j] += c + u * examined; nextGamma[b] += c + u * attractive;
                    slotShows[j] += n; bucketShows[b] += n;
                }
            // θ and γ are identified only up to a common scale, so convergence is judged on θ's ratios to its largest.
            double before = theta.Max(), after = 0, change = 0;
            for (var j = 0; j < k; j++) nextTheta[j] = slotShows[j] > 0 ? Math.Clamp(nextTheta[j] / slotShows[j], 1e-9, 1) : theta[j];
            for (var j = 0; j < k; j++) after = Math.Max(after, nextTheta[j]);
            for (var j = 0; j < k; j++) { change = Math.Max(change, Math.Abs(nextTheta[j] / after - theta[j] / before)); theta[j] = nextTheta[j]; }
            for (var b = 0; b < buckets; b++)
                gamma[b] = bucketShows[b] > 0 ? Math.Clamp(nextGamma[b] / bucketShows[b], 0, 1) : 0;
            if (change < 1e-7) break;
        }
        var max = theta.Max();
        for (var j = 0; j < k; j++) theta[j] /= max;
        return theta;
    }
}

/// <summary>Exploit ranks grouped for the reward tables of off-policy evaluation: each rank below the slate size K its own bucket, then doubling buckets [K, 2K), [2K, 4K), ….</summary>
internal static class RankBuckets
{
    public static int Of(int rank, int k) => rank < k ? rank : k + (int)Math.Log2((double)rank / k);

    /// <summary>The buckets needed for ranks below <paramref name="candidates"/>.</summary>
    public static int Count(int k, int candidates) => Of(Math.Max(k, candidates), k) + 1;
}
