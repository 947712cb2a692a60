using Merx.Core.Contracts;
using Merx.Privacy.Accounting;
using Merx.Privacy.DpSgd;
using Merx.Privacy.Mechanisms;

namespace Merx.Models.Privacy;

/// <summary>
/// The DP-SGD machinery one private fit needs, shared by the models that train privately (the
/// Transformer, BPR-MF): Poisson sampling of users, the clip-sum-noise aggregator over the model's
/// flat gradient (D), and the RDP accountant. The noise multiplier σ is calibrated the standard way:
/// the smallest σ whose planned number of steps at rate q ends exactly at the target ε; the loop also
/// refuses any step the accountant says would pass it. A step (sample, aggregate, charge) allocates nothing.
/// </summary>
internal sealed class DpSgdRun
{
    private readonly NoiseSource _noise;
    private int _releases;          // Gaussian releases charged to the accountant besides the steps (0 or 1)

    private DpSgdRun(DpTrainingOptions options, int users, double delta, double q, float clip, long planned, double sigma, long allowed, int dimension, int seed, double? vocabularyNoise)
    {
        Options = options; Users = users; Delta = delta; Rate = q; ClipNorm = clip;
        PlannedSteps = planned; NoiseMultiplier = sigma; AllowedSteps = allowed; VocabularyNoise = vocabularyNoise;
        NoiseSource rng = options.SeededNoise ? new SeededNoiseSource((ulong)seed * 0x9E3779B97F4A7C15UL + 11) : new CryptoNoiseSource();
        NoiseSource noise = options.SeededNoise ? new SeededNoiseSource((ulong)seed * 0xC2B2AE3D27D4EB4FUL + 13) : new CryptoNoiseSource();
        Sampler = new PoissonSampler(users, q, rng);
        Aggregator = new DpSgdAggregator(dimension, clip, sigma, q * users, noise);
        _noise = noise;
        Accountant = new RdpAccountant();
    }

    public DpTrainingOptions Options { get; }
    /// <summary>N, the users the sampler draws from (δ defaults to 1/N).</summary>
    public int Users { get; }
    public double Delta { get; }
    /// <summary>q, the Poisson sampling rate.</summary>
    public double Rate { get; }
    public float ClipNorm { get; }
    public double NoiseMultiplier { get; }
    /// <summary>Steps σ was calibrated for.</summary>
    public long PlannedSteps { get; }
    /// <summary>Steps the accountant allows at (q, σ) before passing the target ε (≥ planned, by the calibration).</summary>
    public long AllowedSteps { get; }
    public PoissonSampler Sampler { get; }
    public DpSgdAggregator Aggregator { get; }
    public RdpAccountant Accountant { get; }
    public long Steps => Accountant.Steps - _releases;
    /// <summary>Noise multiplier of the planned vocabulary release (<see cref="SelectVocabulary"/>), which σ was calibrated to compose with; null = none planned.</summary>
    public double? VocabularyNoise { get; }
    /// <summary>Items kept by the vocabulary release; null until it is made.</summary>
    public int? VocabularySize { get; private set; }

    /// <summary>Whether the plan has steps left and one more stays within the target ε.</summary>
    public bool CanStep => Steps < PlannedSteps && Steps < AllowedSteps;

    /// <summary>Charges one noisy step to the accountant (call after the aggregated, noised update is applied).</summary>
    public void Charge() => Accountant.Step(Rate, NoiseMultiplier);

    /// <summary>ε spent so far at δ.</summary>
    public double EpsilonSpent => Accountant.Steps == 0 ? 0 : Accountant.GetEpsilon(Delta).Epsilon;

    /// <summary>The report for the model.</summary>
    public PrivacySpent Report() => new(EpsilonSpent, Delta, NoiseMultiplier, Rate, ClipNorm, Steps, PlannedSteps, Options.TargetEpsilon)
    {
        VocabularyNoiseMultiplier = _releases > 0 ? VocabularyNoise : null,
        VocabularySize = VocabularySize,
    };

    /// <summary>
    /// The planned vocabulary release: which items are frequent enough to get their own id embedding.
    /// Each user adds 1/√m to each of their m distinct items (so one user moves the count vector by
    /// exactly L2 norm 1), every item's count gets N(0, s²) noise (s = <see cref="VocabularyNoise"/>),
    /// and the items whose noisy count reaches 3s are kept (a count-free item passes with probability
    /// 0.13 %). Charged to the accountant as one Gaussian mechanism; costs no data-dependent choice
    /// besides the noisy counts. Returns keep (Items).
    /// </summary>
    public bool[] SelectVocabulary(Merx.Core.Data.UserSequences users, int items)
    {
        if (VocabularyNoise is not { } s) throw new InvalidOperationException("this run planned no vocabulary release");
        if (_releases > 0) throw new InvalidOperationException("the vocabulary was already released");
        var counts = NormalizedCounts(users, items);
        var keep = new bool[items];
        for (var i = 0; i < items; i++) keep[i] = counts[i] + s * _noise.NextGaussian() >= 3 * s;
        Accountant.Step(1.0, s);
        _releases = 1;
        VocabularySize = keep.Count(k => k);
        return keep;
    }

    /// <summary>
    /// Per item, Σ over users who had it of 1/√(the user's distinct items): the count vector of
    /// <see cref="SelectVocabulary"/> before noise. One user moves it by L2 norm exactly 1 (0 without items).
    /// </summary>
    internal static double[] NormalizedCounts(Merx.Core.Data.UserSequences users, int items)
    {
        var counts = new double[items];
        var stamp = new int[items];       // user + 1 that last touched the item
        var distinct = new List<int>();
        for (var u = 0; u < users.UserCount; u++)
        {
            distinct.Clear();
            foreach (var i in users.ItemsOf(u)) if (stamp[i] != u + 1) { stamp[i] = u + 1; distinct.Add(i); }
            var w = 1 / Math.Sqrt(Math.Max(1, distinct.Count));
            foreach (var i in distinct) counts[i] += w;
        }
        return counts;
    }

    /// <summary>Noise multiplier of a Gaussian release that alone would spend <paramref name="share"/> of the target ε at δ (null for share 0).</summary>
    public static double? VocabularyNoiseFor(double targetEpsilon, double share, double delta) =>
        share > 0 ? RdpAccountant.NoiseMultiplierFor(share * targetEpsilon, delta, 1.0, 1, tolerance: 1e-3) : null;

    /// <summary>
    /// Plans a run: δ (default 1/N), q and C (defaults given by the model), steps = ⌈epochs/q⌉ cut to
    /// <paramref name="maxStepsByTime"/> when a time budget allows fewer, then σ for the target ε.
    /// </summary>
    /// <param name="dimension">D, the length of the model's flat gradient.</param>
    /// <param name="vocabularyShare">Share of ε for a vocabulary release composed with the steps, as the model resolved it (from the options or its default); 0 = none.</param>
    public static DpSgdRun Plan(DpTrainingOptions options, int users, int dimension, double defaultRate, float defaultClip, double defaultEpochs, long? maxStepsByTime, int seed, double vocabularyShare = 0)
    {
        options.Validate();
        if (users < 1) throw new ArgumentException("private training needs at least one user");
        var delta = options.Delta ?? 1.0 / users;
        if (!(delta < 1)) throw new ArgumentException($"DP delta 1/N = {delta} is not below 1: private training needs at least two users or an explicit delta");
        var q = options.SamplingRate ?? Math.Clamp(defaultRate, 1.0 / users, 1.0);
        var clip = options.ClipNorm ?? defaultClip;
        var epochs = options.Epochs ?? defaultEpochs;
        var planned = Math.Max(1, (long)Math.Ceiling(epochs / q));
        if (maxStepsByTime is { } cap) planned = Math.Max(1, Math.Min(planned, cap));
        double sigma;
        var vocabulary = VocabularyNoiseFor(options.TargetEpsilon, vocabularyShare, delta);
        try { sigma = RdpAccountant.NoiseMultiplierFor(options.TargetEpsilon, delta, q, planned, tolerance: 1e-3, priorGaussian: vocabulary); }
        catch (InvalidOperationException e) { throw new ArgumentException($"DP: {e.Message}; raise epsilon or lower the sampling rate", e); }
        var allowed = RdpAccountant.StepsAllowed(q, sigma, options.TargetEpsilon, delta, maxSteps: 4 * planned, priorGaussian: vocabulary);
        return new DpSgdRun(options, users, delta, q, clip, planned, sigma, allowed, dimension, seed, vocabulary);
    }

    /// <summary>A run with a given σ (no calibration): the loop still stops where the accountant says the target ε would be passed.</summary>
    public static DpSgdRun WithNoise(DpTrainingOptions options, int users, int dimension, double q, float clip, double sigma, long plannedSteps, int seed)
    {
        options.Validate();
        var delta = options.Delta ?? 1.0 / users;
        var allowed = RdpAccountant.StepsAllowed(q, sigma, options.TargetEpsilon, delta, maxSteps: plannedSteps);
        return new DpSgdRun(options, users, delta, q, clip, plannedSteps, sigma, allowed, dimension, seed, null);
    }

    /// <summary>
    /// The default sampling rate q: about 10 % of the users per step, at least 64 and at most 4,096
    /// users expected. Large batches are what DP-SGD needs: the noise std on the mean gradient is
    /// σC/(qN), so more users per step buys more signal per unit of ε than more steps do (on Amazon
    /// Beauty at ε = 8: q = 0.01 → NDCG@10 0.0124, 0.04 → 0.0154, 0.1 → 0.0209 at 100 steps, 0.25 → 0.0190
    /// at 40 steps; bench/results/privacy-utility.md); data-independent apart from N.
    /// </summary>
    public static double DefaultRate(int users) => Math.Min(1.0, Math.Clamp(0.1 * users, 64, 4096) / Math.Max(1, users));

    /// <summary>A one-line summary for progress output.</summary>
    public string Describe() =>
        $"DP-SGD: N={Users:N0} users, q={Rate:G4} (expected {Rate * Users:F0} users/step), C={ClipNorm:G4}, σ={NoiseMultiplier:F3}, {PlannedSteps:N0} steps planned"
        + (VocabularyNoise is { } v ? $" after an id-vocabulary release (σ={v:F2})" : "") + $", target ε={Options.TargetEpsilon:G4} at δ={Delta:G4}";
}
