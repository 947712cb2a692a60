using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Splits;

namespace Merx.Evaluation.Harness;

/// <summary>
/// A tuned parameter's range: log-uniform between Min and Max (or uniform when not Log); integer
/// when Integer; rounded to a multiple of Step when Step &gt; 0 (e.g. Transformer widths in steps of 8).
/// </summary>
public sealed record ParameterRange(string Name, double Min, double Max, bool Log = true, bool Integer = false, double Step = 0)
{
    public double Sample(Random rng)
    {
        if (!(Min <= Max) || (Log && !(Min > 0))) throw new ArgumentException($"parameter range '{Name}': need 0 < Min ≤ Max for a log range, Min ≤ Max otherwise");
        var u = rng.NextDouble();
        var v = Log ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
        if (Step > 0) v = Math.Clamp(Math.Round(v / Step) * Step, Math.Ceiling(Min / Step) * Step, Math.Floor(Max / Step) * Step);
        return Integer ? Math.Round(v) : v;
    }
}

/// <summary>How the tuner spends its validation users.</summary>
public enum TunerMethod
{
    /// <summary>Every configuration is scored on the whole validation set.</summary>
    Random,
    /// <summary>Successive halving: all on a small validation sample, the best 1/η on an η times larger one, … up to the whole set.</summary>
    Halving,
}

/// <summary>
/// One tried configuration and its validation NDCG@10 on the largest validation sample it reached
/// (<see cref="ValidationCases"/> cases, at halving rung <see cref="Rung"/>; 0 for random search).
/// </summary>
public sealed record TunerTrial(int Trial, IReadOnlyDictionary<string, double> Parameters, double ValidationNdcg, int ValidationCases, double FitSeconds, int Rung = 0)
{
    public TunerTrial(IReadOnlyDictionary<string, double> parameters, double validationNdcg, int validationCases, double fitSeconds)
        : this(0, parameters, validationNdcg, validationCases, fitSeconds) { }
}

/// <summary>The selected configuration, its validation NDCG@10 on the full validation set, every trial, and the fitted best model.</summary>
public sealed record TunerResult(IReadOnlyDictionary<string, double> Best, double BestNdcg, IReadOnlyList<TunerTrial> Trials)
{
    /// <summary>The best configuration's fitted model (trained on the training part only), ready for a test evaluation.</summary>
    public IRecommender? BestModel { get; init; }
}

/// <summary>
/// Random search, optionally with successive halving over validation users: every sampled
/// configuration is fitted once on the training part and scored by NDCG@10 on validation cases;
/// under halving the first score is on a small sample and only the best 1/η go on to a sample η
/// times larger, until the full validation set (only those models are kept in memory). Stops
/// drawing new configurations when the time budget is spent, and gives each fit what is left of
/// it as its own budget. Test cases are never seen.
/// </summary>
public static class Tuner
{
    public static TunerResult Search(TrainingData data, IReadOnlyList<ParameterRange> space, Func<IReadOnlyDictionary<string, double>, IRecommender> create,
        int trials, TimeSpan budget, int seed, int eta = 3, IProgress<string>? progress = null, TunerMethod method = TunerMethod.Halving)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(eta, 2);
        if (data.Validation.Count == 0) throw new ArgumentException("tuning needs validation cases, and this split has none");
        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();
        var val = data.Validation.ToArray();
        new Random(seed).Shuffle(val);
        var rungs = method == TunerMethod.Random ? 0 : (int)Math.Ceiling(Math.Log(trials) / Math.Log(eta) - 1e-9);
        var size = Math.Max(1, val.Length / (int)Math.Pow(eta, rungs));
        var keep = method == TunerMethod.Random ? 1 : Math.Max(1, trials / eta);
        var results = new List<TunerTrial>();
        var alive = new List<(int I, double S, IRecommender M)>();
        for (var t = 0; t < trials && (t == 0 || clock.Elapsed < budget); t++)
        {
            var p = space.ToDictionary(r => r.Name, r => r.Sample(rng));
            var m = create(p);
            var fitClock = Stopwatch.StartNew();
            var left = budget - clock.Elapsed;
            m.Fit(data, new FitOptions
            {
                Seed = seed,
                TimeBudget = left > TimeSpan.FromDays(1) ? null : left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1),
                Progress = progress is null ? null : new Prefixed(progress, $"tune: trial {t + 1}: "),
            });
            var seconds = fitClock.Elapsed.TotalSeconds;
            var sample = val[..Math.Min(size, val.Length)];
            var s = Score(m, sample);
            results.Add(new TunerTrial(t + 1, p, s, sample.Length, seconds));
            progress?.Report($"tune: trial {t + 1}/{trials} {Describe(p)}: validation NDCG@10 {s:F4} on {sample.Length} cases, fit {seconds:F1} s (elapsed {clock.Elapsed.TotalSeconds:F0} s)");
            alive.Add((t, s, m));
            if (alive.Count > keep) alive.Remove(alive.MinBy(a => a.S));
        }
        var rung = 0;
        for (var n = Math.Min(size, val.Length); n < val.Length;)
        {
            n = alive.Count == 1 ? val.Length : Math.Min(val.Length, n * eta);
            rung++;
            var sample = val[..n];
            for (var a = 0; a < alive.Count; a++)
            {
                var (i, _, m) = alive[a];
                var s = Score(m, sample);
                alive[a] = (i, s, m);
                results[i] = results[i] with { ValidationNdcg = s, ValidationCases = n, Rung = rung };
                progress?.Report($"tune: rung {rung}: trial {i + 1} validation NDCG@10 {s:F4} on {n} cases");
            }
            if (n < val.Length) alive = alive.OrderByDescending(x => x.S).Take(Math.Max(1, alive.Count / eta)).ToList();
        }
        var best = alive.MaxBy(a => a.S);
        return new TunerResult(results[best.I].Parameters, best.S, results) { BestModel = best.M };
    }

    /// <summary>"k=12 shrink=3.4" with 4 significant digits.</summary>
    public static string Describe(IReadOnlyDictionary<string, double> p) =>
        string.Join(' ', p.Select(kv => $"{kv.Key}={kv.Value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}"));

    /// <summary>A model's own progress lines (epochs, losses), tagged with the trial they belong to.</summary>
    private sealed class Prefixed(IProgress<string> inner, string prefix) : IProgress<string>
    {
        public void Report(string value) => inner.Report(prefix + value);
    }

    private static double Score(IRecommender m, EvalCase[] sample) =>
        ValidationMetric.Ndcg(sample, m.ItemCount, (c, s) => m.Score(c.User, c.Input, s));
}
