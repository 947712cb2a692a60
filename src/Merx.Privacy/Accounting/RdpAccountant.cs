namespace Merx.Privacy.Accounting;

/// <summary>
/// Rényi-DP accountant for DP-SGD: composes Poisson-subsampled Gaussian steps (RDP adds up over
/// steps, order by order) and reports the (ε, δ) spent so far. Not thread-safe; one per training run.
/// <code>
/// var acc = new RdpAccountant();
/// for (...) { if (!acc.CanStep(q, sigma, 8, delta)) break; TrainStep(); acc.Step(q, sigma); }
/// var (eps, order) = acc.GetEpsilon(delta);
/// </code>
/// </summary>
public sealed class RdpAccountant
{
    /// <summary>
    /// Default RDP orders: 1.1…10.9 in steps of 0.1 (Opacus's default alphas), 11…63, and
    /// 128, 256, 512 (TF-Privacy's large orders, for very small ε).
    /// </summary>
    public static IReadOnlyList<double> DefaultOrders { get; } =
        Enumerable.Range(1, 99).Select(x => 1 + x / 10.0)
            .Concat(Enumerable.Range(11, 53).Select(x => (double)x))
            .Concat([128.0, 256.0, 512.0]).ToArray();

    /// <summary>The orders TF-Privacy's compute_dp_sgd_privacy uses (1.25…4.5, 5…63, 128, 256, 512).</summary>
    public static IReadOnlyList<double> TfPrivacyOrders { get; } =
        new[] { 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5 }
            .Concat(Enumerable.Range(5, 59).Select(x => (double)x))
            .Concat([128.0, 256.0, 512.0]).ToArray();

    private readonly double[] _orders;
    private readonly double[] _rdp;
    private readonly RdpConversion _conversion;
    private (double Q, double Sigma, double[] PerStep)? _lastStep; // a training loop repeats the same (q, σ)

    /// <param name="orders">RDP orders α &gt; 1 to track (null: <see cref="DefaultOrders"/>).</param>
    /// <param name="conversion">RDP → (ε, δ) rule, <see cref="RdpConversion.Improved"/> by default.</param>
    public RdpAccountant(IReadOnlyList<double>? orders = null, RdpConversion conversion = RdpConversion.Improved)
    {
        _orders = (orders ?? DefaultOrders).ToArray();
        if (_orders.Length == 0) throw new ArgumentException("at least one RDP order is needed", nameof(orders));
        foreach (var a in _orders)
            if (!(a > 1) || double.IsInfinity(a)) throw new ArgumentException($"RDP order {a} must be a finite number > 1", nameof(orders));
        _rdp = new double[_orders.Length];
        _conversion = conversion;
    }

    /// <summary>Orders tracked.</summary>
    public IReadOnlyList<double> Orders => _orders;

    /// <summary>Composed RDP at each order so far.</summary>
    public IReadOnlyList<double> Rdp => _rdp;

    /// <summary>Number of steps composed so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Records <paramref name="count"/> steps with sampling rate q and noise multiplier σ.</summary>
    public void Step(double q, double noiseMultiplier, long count = 1)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "step count must be ≥ 0");
        var per = PerStep(q, noiseMultiplier);
        for (var k = 0; k < _rdp.Length; k++) _rdp[k] += per[k] * count;
        Steps += count;
    }

    private double[] PerStep(double q, double sigma)
    {
        if (_lastStep is { } last && last.Q == q && last.Sigma == sigma) return last.PerStep;
        var per = SampledGaussianRdp.Rdp(q, sigma, _orders);
        _lastStep = (q, sigma, per);
        return per;
    }

    /// <summary>(ε, order) spent so far at δ.</summary>
    public (double Epsilon, double Order) GetEpsilon(double delta) => RdpToDp.Epsilon(_orders, _rdp, delta, _conversion);

    /// <summary>
    /// True when one more step with (q, σ) keeps the total within <paramref name="targetEpsilon"/> at δ:
    /// the "stop at target ε" check a training loop makes before each step.
    /// </summary>
    public bool CanStep(double q, double noiseMultiplier, double targetEpsilon, double delta)
    {
        var per = PerStep(q, noiseMultiplier);
        var next = new double[_rdp.Length];
        for (var k = 0; k < next.Length; k++) next[k] = _rdp[k] + per[k];
        return RdpToDp.Epsilon(_orders, next, delta, _conversion).Epsilon <= targetEpsilon;
    }

    /// <summary>ε of <paramref name="steps"/> steps of (q, σ) at δ, from nothing.</summary>
    public static double Epsilon(double q, double noiseMultiplier, long steps, double delta, IReadOnlyList<double>? orders = null, RdpConversion conversion = RdpConversion.Improved)
    {
        var acc = new RdpAccountant(orders, conversion);
        acc.Step(q, noiseMultiplier, steps);
        return acc.GetEpsilon(delta).Epsilon;
    }

    /// <summary>
    /// The largest number of steps of (q, σ) whose ε at δ stays ≤ <paramref name="targetEpsilon"/>
    /// (0 when even one step exceeds it; capped at <paramref name="maxSteps"/>). ε grows with steps,
    /// so a doubling then bisection search over the per-step RDP curve suffices.
    /// </summary>
    /// <param name="priorGaussian">Noise multiplier of one plain Gaussian mechanism (sensitivity 1) released before the steps and composed with them; null = none.</param>
    public static long StepsAllowed(double q, double noiseMultiplier, double targetEpsilon, double delta, long maxSteps = 100_000_000, IReadOnlyList<double>? orders = null, RdpConversion conversion = RdpConversion.Improved, double? priorGaussian = null)
    {
        var ord = (orders ?? DefaultOrders).ToArray();
        var per = SampledGaussianRdp.Rdp(q, noiseMultiplier, ord);
        var prior = PriorRdp(priorGaussian, ord);
        var buf = new double[ord.Length];
        bool Fits(long t)
        {
            for (var k = 0; k < buf.Length; k++) buf[k] = prior[k] + per[k] * t;
            return RdpToDp.Epsilon(ord, buf, delta, conversion).Epsilon <= targetEpsilon;
        }
        if (!Fits(1)) return 0;
        long lo = 1, hi = 2;
        while (hi < maxSteps && Fits(hi)) { lo = hi; hi *= 2; }
        if (hi >= maxSteps) { if (Fits(maxSteps)) return maxSteps; hi = maxSteps; }
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            if (Fits(mid)) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// The smallest noise multiplier σ (to <paramref name="tolerance"/>) such that
    /// <paramref name="steps"/> steps at sampling rate q give ε ≤ <paramref name="targetEpsilon"/>
    /// at δ. Throws when σ = 1000 is not enough (the target is unreachable in practice).
    /// </summary>
    /// <param name="priorGaussian">Noise multiplier of one plain Gaussian mechanism (sensitivity 1) released before the steps and composed with them; null = none.</param>
    public static double NoiseMultiplierFor(double targetEpsilon, double delta, double q, long steps, double tolerance = 1e-4, IReadOnlyList<double>? orders = null, RdpConversion conversion = RdpConversion.Improved, double? priorGaussian = null)
    {
        if (!(targetEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon, "target ε must be > 0");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be ≥ 1");
        var ord = (orders ?? DefaultOrders).ToArray();
        var prior = PriorRdp(priorGaussian, ord);
        if (priorGaussian is not null && RdpToDp.Epsilon(ord, prior, delta, conversion).Epsilon >= targetEpsilon)
            throw new InvalidOperationException($"the Gaussian release with noise multiplier {priorGaussian} alone spends ε = {targetEpsilon} at δ = {delta} or more");
        var buf = new double[ord.Length];
        double Eps(double s)
        {
            var per = SampledGaussianRdp.Rdp(q, s, ord);
            for (var k = 0; k < buf.Length; k++) buf[k] = prior[k] + per[k] * steps;
            return RdpToDp.Epsilon(ord, buf, delta, conversion).Epsilon;
        }
        double lo = 0, hi = 1;
        while (Eps(hi) > targetEpsilon)
        {
            lo = hi;
            hi *= 2;
            if (hi > 1000) throw new InvalidOperationException($"no noise multiplier ≤ 1000 reaches ε = {targetEpsilon} at δ = {delta} with q = {q} over {steps} steps");
        }
        while (hi - lo > tolerance)
        {
            var mid = 0.5 * (lo + hi);
            if (Eps(mid) > targetEpsilon) lo = mid; else hi = mid;
        }
        return hi;
    }

    /// <summary>RDP of one plain Gaussian mechanism at each order (α / 2σ²), or zeros without one.</summary>
    private static double[] PriorRdp(double? sigma, double[] orders)
    {
        if (sigma is not { } s) return new double[orders.Length];
        if (!(s > 0) || double.IsInfinity(s)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "noise multiplier must be a finite number > 0");
        return SampledGaussianRdp.Rdp(1.0, s, orders);
    }
}
