using Merx.Evaluation.Experiments;
using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.OffPolicy;

/// <summary>An estimate of a target policy's reward per list with its confidence interval.</summary>
public readonly record struct OpeValue(double Value, double Lo, double Hi)
{
    public bool Covers(double truth) => truth >= Lo && truth <= Hi;
}

/// <summary>
/// The three estimates of one target policy from one log, in reward (clicks) per served list.
/// <see cref="MeanWeight"/> is the mean importance weight per slot (≈ 1 when the log covers the
/// target), <see cref="EffectiveLists"/> Kish's effective sample size (Σw)²/Σw² of the slot weights
/// divided by the slots per list: how many lists' worth of information the reweighted log carries.
/// </summary>
public sealed record OpeEstimate(string Policy, int Lists, OpeValue Ips, OpeValue Snips, OpeValue DoublyRobust, double MeanWeight, double EffectiveLists)
{
    /// <summary>The examination-model estimates (<see cref="OffPolicyEstimator.EstimateByExamination"/>), or null when not asked for or the log has no presences.</summary>
    public ExaminationOpe? Examination { get; init; }
}

/// <summary>
/// Estimates under the examination (position-based) click model: IPS and its self-normalised twin, with
/// <see cref="MeanWeight"/> the mean of the per-list control variate over its known expectation (≈ 1 when the
/// log shows every item the target shows) and <see cref="EffectiveLists"/> Kish's effective sample of the slot weights
/// per slots per list, as for <see cref="OpeEstimate"/>.
/// </summary>
public sealed record ExaminationOpe(OpeValue Ips, OpeValue SelfNormalised, double MeanWeight, double EffectiveLists);

/// <summary>
/// Off-policy estimates of a slate policy's reward from logged lists under the item-position model
/// (Li et al. 2018, "Offline evaluation of ranking policies with click models"; Open Bandit
/// Pipeline's independent IPS): the reward of a list is the sum of its slots' rewards, and the reward of
/// a slot depends on the request, the item and the slot alone, so the weight of slot j is
/// w_j = π(item at j)/μ(item at j), with μ the logging propensity.
/// <list type="bullet">
/// <item>IPS: mean over lists of Σ_j w_j·r_j (unbiased where μ > 0 wherever π > 0).</item>
/// <item>SNIPS: Σ_j (Σ_i w_ij r_ij)/(Σ_i w_ij): each slot's weights normalised to mean 1 (Swaminathan
/// &amp; Joachims 2015); consistent, lower variance, a small bias.</item>
/// <item>Doubly robust (Dudík et al. 2011): Σ_j [Σ_r π(r at j)·q̂(r, j) + w_j (r_j − q̂(rank_j, j))] with
/// q̂ the logged click rate by (exploit-rank bucket, slot), fitted on the other half of the lists
/// (two-fold cross-fitting, so a list's own reward never enters its model).</item>
/// </list>
/// Intervals: normal, from the per-list values' standard error (IPS, DR) or the delta method of the
/// ratio (SNIPS), at <paramref name="confidence"/>.
/// </summary>
public static class OffPolicyEstimator
{
    public static OpeEstimate Estimate(IReadOnlyList<LoggedSlate> log, OffPolicyTarget target, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(log); ArgumentNullException.ThrowIfNull(target);
        if (log.Count < 2) throw new ArgumentException("off-policy evaluation needs at least two logged lists", nameof(log));
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), "confidence must be in (0, 1)");
        foreach (var s in log) s.Validate();
        var z = Distributions.NormalQuantile(0.5 + confidence / 2);
        var k = log.Max(s => s.Slots);
        var n = log.Count;
        var models = new[] { RewardModel.Fit(log, k, fold: 1), RewardModel.Fit(log, k, fold: 0) }; // list i uses the model of the other fold
        var ips = new double[n]; var dr = new double[n];
        var wy = new double[n * k]; var w = new double[n * k];
        double sumW = 0, sumW2 = 0; long slots = 0;
        for (var i = 0; i < n; i++)
        {
            var s = log[i]; var q = models[i % 2];
            double vi = 0, di = 0;
            for (var j = 0; j < s.Slots; j++)
            {
                var wij = target.Probability(s.Ranks[j], j, s.Candidates, s.Slots) / s.Propensities[j];
                vi += wij * s.Rewards[j];
                double direct = 0;
                for (var r = 0; r < s.Candidates; r++)
                    if (target.Probability(r, j, s.Candidates, s.Slots) is var p and > 0) direct += p * q.Predict(r, j);
                di += direct + wij * (s.Rewards[j] - q.Predict(s.Ranks[j], j));
                wy[i * k + j] = wij * s.Rewards[j]; w[i * k + j] = wij;
                sumW += wij; sumW2 += wij * wij; slots++;
            }
            ips[i] = vi; dr[i] = di;
        }
        return new OpeEstimate(target.Name, n, Mean(ips, z), Snips(wy, w, n, k, z), Mean(dr, z),
            sumW / slots, sumW2 > 0 ? sumW * sumW / sumW2 / ((double)slots / n) : 0);
    }

    /// <summary>
    /// <see cref="Estimate"/> plus, when every list carries presences, the examination-model estimates with the
    /// slot examination probabilities <paramref name="examination"/> (<see cref="EstimateByExamination"/>).
    /// </summary>
    public static OpeEstimate Estimate(IReadOnlyList<LoggedSlate> log, OffPolicyTarget target, IReadOnlyList<double>? examination, double confidence = 0.95)
    {
        var e = Estimate(log, target, confidence);
        return examination is null || log.Any(s => s.Presences is null) ? e : e with { Examination = EstimateByExamination(log, target, examination, confidence) };
    }

    /// <summary>
    /// Off-policy estimates under the examination (position-based) click model: the reward of the item x shown in
    /// slot j is θ_j·a(request, x), with θ_j the chance slot j is looked at (<paramref name="examination"/>) and a
    /// the item's attractiveness, whatever the slot. Then the target's value is Σ_x π̃(x)·a(x) with
    /// π̃(x) = Σ_j θ_j·π(x at j), and, with ρ(x) the logging policy's probability of showing x in any slot
    /// (<see cref="LoggedSlate.Presences"/>), the per-list value Σ_j (r_j/θ_j)·π̃(x_j)/ρ(x_j) is unbiased for it
    /// wherever ρ > 0 where π̃ > 0 (the policy-aware estimator of Oosterhuis &amp; de Rijke 2020, with item-level
    /// propensities). It needs no item at the target's own slot: a pick the logging policy showed in another slot
    /// counts, so its weights are far smaller than the item-position weights π/μ of <see cref="Estimate"/> when the
    /// logging policy moves items between slots (Thompson sampling, Dynamic). Its price is the model: θ must be known
    /// (only ratios matter; the simulator's clicks follow 1/log2(j + 2)), and a reward that depends on the slot
    /// otherwise biases it.
    /// <para>
    /// Self-normalised: the control variate c = Σ_j π̃(x_j)/ρ(x_j) has expectation Σ_j θ_j over the target's slots
    /// (when the log shows everything the target shows), so the estimate is (v̄/c̄)·Σθ, its interval by the delta
    /// method. Intervals: normal, from the per-list values, at <paramref name="confidence"/>.
    /// </para>
    /// </summary>
    public static ExaminationOpe EstimateByExamination(IReadOnlyList<LoggedSlate> log, OffPolicyTarget target, IReadOnlyList<double> examination, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(log); ArgumentNullException.ThrowIfNull(target); ArgumentNullException.ThrowIfNull(examination);
        if (log.Count < 2) throw new ArgumentException("off-policy evaluation needs at least two logged lists", nameof(log));
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), "confidence must be in (0, 1)");
        var k = log.Max(s => s.Slots);
        if (examination.Count < k) throw new ArgumentException($"the examination model gives {examination.Count} slot(s); the log has lists of {k}", nameof(examination));
        for (var j = 0; j < k; j++)
            if (!(examination[j] > 0 && examination[j] <= 1)) throw new ArgumentException($"slot {j}: examination probability {examination[j]} is not in (0, 1]", nameof(examination));
        foreach (var s in log)
        {
            s.Validate();
            if (s.Presences is null) throw new ArgumentException("the examination estimator needs every list's presences (lists logged before they were recorded have none)", nameof(log));
        }
        var z = Distributions.NormalQuantile(0.5 + confidence / 2);
        var n = log.Count;
        var v = new double[n]; var c = new double[n];
        double sumW = 0, sumW2 = 0, theta = 0; long slots = 0;
        for (var i = 0; i < n; i++)
        {
            var s = log[i];
            double vi = 0, ci = 0, ti = 0;
            for (var j = 0; j < s.Slots; j++)
            {
                double exposure = 0; // π̃(x_j) = Σ_j' θ_j'·π(rank of x_j at j')
                for (var jj = 0; jj < s.Slots; jj++) exposure += examination[jj] * target.Probability(s.Ranks[j], jj, s.Candidates, s.Slots);
                var wij = exposure / s.Presences![j];
                vi += wij * s.Rewards[j] / examination[j];
                ci += wij; ti += examination[j];
                sumW += wij; sumW2 += wij * wij; slots++;
            }
            v[i] = vi; c[i] = ci; theta += ti;
        }
        theta /= n; // Σ_j θ_j over a list's slots, on average
        var cbar = c.Average();
        OpeValue selfNormalised;
        if (cbar > 0)
        {
            var ratio = v.Average() / cbar;
            var sd = Math.Sqrt(Enumerable.Range(0, n).Sum(i => Math.Pow((v[i] - ratio * c[i]) / cbar, 2)) / (n - 1));
            var h = z * sd / Math.Sqrt(n) * theta;
            selfNormalised = new OpeValue(ratio * theta, ratio * theta - h, ratio * theta + h);
        }
        else selfNormalised = new OpeValue(0, 0, 0);
        return new ExaminationOpe(Mean(v, z), selfNormalised, cbar / theta, sumW2 > 0 ? sumW * sumW / sumW2 / ((double)slots / n) : 0);
    }

    /// <summary><see cref="Estimate"/> plus the examination-model estimates with θ estimated from the log (<see cref="EstimateByExamination(IReadOnlyList{LoggedSlate}, OffPolicyTarget, ExaminationFit)"/>), when every list carries presences.</summary>
    public static OpeEstimate Estimate(IReadOnlyList<LoggedSlate> log, OffPolicyTarget target, ExaminationFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var e = Estimate(log, target, fit.Confidence);
        return log.Any(s => s.Presences is null) ? e : e with { Examination = EstimateByExamination(log, target, fit) };
    }

    /// <summary>
    /// The examination-model estimates with θ estimated from the same log (<see cref="ExaminationModel.Fit"/>): the point
    /// estimates use the fitted θ, and the intervals are percentile intervals over the fit's bootstrap replicates, each
    /// replicate re-weighting the lists and using the θ fitted on that replicate, so they hold θ's uncertainty as well as
    /// the clicks'.
    /// </summary>
    public static ExaminationOpe EstimateByExamination(IReadOnlyList<LoggedSlate> log, OffPolicyTarget target, ExaminationFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var point = EstimateByExamination(log, target, fit.Theta, fit.Confidence);
        var n = log.Count;
        // π(rank at each slot) per (rank, candidates, slots): fixed across replicates, few distinct.
        var rows = new Dictionary<(int Rank, int Candidates, int Slots), double[]>();
        var pi = new double[n][][];
        for (var i = 0; i < n; i++)
        {
            var s = log[i];
            pi[i] = new double[s.Slots][];
            for (var j = 0; j < s.Slots; j++)
            {
                if (!rows.TryGetValue((s.Ranks[j], s.Candidates, s.Slots), out var row))
                {
                    row = new double[s.Slots];
                    for (var jj = 0; jj < s.Slots; jj++) row[jj] = target.Probability(s.Ranks[j], jj, s.Candidates, s.Slots);
                    rows[(s.Ranks[j], s.Candidates, s.Slots)] = row;
                }
                pi[i][j] = row;
            }
        }
        var replicates = fit.Replicates.Length;
        var ips = new double[replicates]; var sn = new double[replicates];
        var w = new byte[n];
        for (var b = 0; b < replicates; b++)
        {
            ExaminationModel.BootstrapWeights(fit.Seed, b, w);
            var theta = fit.Replicates[b];
            double sw = 0, sv = 0, sc = 0, st = 0;
            for (var i = 0; i < n; i++)
            {
                if (w[i] == 0) continue;
                var s = log[i];
                double vi = 0, ci = 0, ti = 0;
                for (var j = 0; j < s.Slots; j++)
                {
                    double exposure = 0;
                    var row = pi[i][j];
                    for (var jj = 0; jj < row.Length; jj++) exposure += theta[jj] * row[jj];
                    var wij = exposure / s.Presences![j];
                    if (s.Rewards[j] != 0) vi += wij * s.Rewards[j] / theta[j];
                    ci += wij; ti += theta[j];
                }
                sw += w[i]; sv += w[i] * vi; sc += w[i] * ci; st += w[i] * ti;
            }
            ips[b] = sw > 0 ? sv / sw : 0;
            sn[b] = sc > 0 ? sv / sc * (st / sw) : 0;
        }
        Array.Sort(ips); Array.Sort(sn);
        var a = (1 - fit.Confidence) / 2;
        return point with
        {
            Ips = point.Ips with { Lo = ExaminationModel.Percentile(ips, a), Hi = ExaminationModel.Percentile(ips, 1 - a) },
            SelfNormalised = point.SelfNormalised with { Lo = ExaminationModel.Percentile(sn, a), Hi = ExaminationModel.Percentile(sn, 1 - a) },
        };
    }

    private static OpeValue Mean(double[] x, double z)
    {
        var m = x.Average();
        var sd = Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Length - 1));
        var h = z * sd / Math.Sqrt(x.Length);
        return new OpeValue(m, m - h, m + h);
    }

    /// <summary>Σ_j of each slot's self-normalised mean; variance by the delta method: ψ_i = Σ_j (w_ij r_ij − V_j w_ij)/W̄_j.</summary>
    private static OpeValue Snips(double[] wy, double[] w, int n, int k, double z)
    {
        var v = new double[k]; var wbar = new double[k];
        for (var j = 0; j < k; j++)
        {
            double a = 0, b = 0;
            for (var i = 0; i < n; i++) { a += wy[i * k + j]; b += w[i * k + j]; }
            v[j] = b > 0 ? a / b : 0; wbar[j] = b / n;
        }
        var psi = new double[n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < k; j++)
                if (wbar[j] > 0) psi[i] += (wy[i * k + j] - v[j] * w[i * k + j]) / wbar[j];
        var total = v.Sum();
        var sd = Math.Sqrt(psi.Sum(x => x * x) / (n - 1));
        var h = z * sd / Math.Sqrt(n);
        return new OpeValue(total, total - h, total + h);
    }

    /// <summary>q̂(rank, slot): the logged reward rate by slot and exploit-rank bucket (each rank below K its own, then doubling buckets), shrunk to the slot's rate with 20 pseudo-shows.</summary>
    private sealed class RewardModel
    {
        private readonly double[,] _rate;
        private readonly int _k;

        private RewardModel(double[,] rate, int k) { _rate = rate; _k = k; }

        public double Predict(int rank, int slot)
        {
            var b = Math.Min(RankBuckets.Of(rank, _k), _rate.GetLength(1) - 1);
            return _rate[slot, b];
        }

        public static RewardModel Fit(IReadOnlyList<LoggedSlate> log, int k, int fold)
        {
            var buckets = RankBuckets.Count(k, log.Max(s => s.Candidates));
            var shows = new double[k, buckets]; var sum = new double[k, buckets];
            var slotShows = new double[k]; var slotSum = new double[k];
            for (var i = fold; i < log.Count; i += 2)
            {
                var s = log[i];
                for (var j = 0; j < s.Slots; j++)
                {
                    var b = RankBuckets.Of(s.Ranks[j], k);
                    shows[j, b]++; sum[j, b] += s.Rewards[j]; slotShows[j]++; slotSum[j] += s.Rewards[j];
                }
            }
            const double prior = 20;
            var rate = new double[k, buckets];
            for (var j = 0; j < k; j++)
            {
                var slotRate = slotShows[j] > 0 ? slotSum[j] / slotShows[j] : 0;
                for (var b = 0; b < buckets; b++) rate[j, b] = (sum[j, b] + prior * slotRate) / (shows[j, b] + prior);
            }
            return new RewardModel(rate, k);
        }
    }
}
