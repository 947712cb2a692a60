using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Splits;

namespace Merx.Evaluation.Harness;

/// <summary>A tuned parameter's range: log-uniform between Min and Max (or uniform when not Log); integer when Integer.</summary>
public sealed record ParameterRange(string Name, double Min, double Max, bool Log = true, bool Integer = false)
{
    public double Sample(Random rng)
    {
        var u = rng.NextDouble();
        var v = Log ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
        return Integer ? Math.Round(v) : v;
    }
}

/// <summary>One tried configuration and its validation NDCG@10 (on the largest validation sample it reached).</summary>
public sealed record TunerTrial(IReadOnlyDictionary<string, double> Parameters, double ValidationNdcg, int ValidationCases, double FitSeconds);

public sealed record TunerResult(IReadOnlyDictionary<string, double> Best, double BestNdcg, IReadOnlyList<TunerTrial> Trials);

/// <summary>
/// Random search with successive halving over validation users: every sampled configuration is
/// fitted once and scored on a small validation sample; the best 1/η go on to a sample η times
/// larger, until the full validation set. Stops drawing new configurations when the time budget
/// is spent. Test cases are never seen.
/// </summary>
public static class Tuner
{
    public static TunerResult Search(TrainingData data, IReadOnlyList<ParameterRange> space, Func<IReadOnlyDictionary<string, double>, IRecommender> create,
        int trials, TimeSpan budget, int seed, int eta = 3, IProgress<string>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(eta, 2);
        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();
        var val = data.Validation.ToArray();
        new Random(seed).Shuffle(val);
        var fitted = new List<(Dictionary<string, double> P, IRecommender M, double Seconds)>();
        for (var t = 0; t < trials && (t == 0 || clock.Elapsed < budget); t++)
        {
            var p = space.ToDictionary(r => r.Name, r => r.Sample(rng));
            var m = create(p);
            var fitClock = Stopwatch.StartNew();
            m.Fit(data, new FitOptions { Seed = seed });
            fitted.Add((p, m, fitClock.Elapsed.TotalSeconds));
            progress?.Report($"tuner: trial {t + 1} fitted in {fitClock.Elapsed.TotalSeconds:F1} s");
        }
        var alive = Enumerable.Range(0, fitted.Count).ToList();
        var results = new TunerTrial?[fitted.Count];
        var size = Math.Max(1, val.Length / (int)Math.Pow(eta, Math.Max(0, (int)Math.Ceiling(Math.Log(fitted.Count, eta)))));
        while (true)
        {
            var sample = val.Take(Math.Min(size, val.Length)).ToArray();
            var scored = alive.Select(i => (I: i, S: ValidationMetric.Ndcg(sample, fitted[i].M.ItemCount, (c, s) => fitted[i].M.Score(c.User, c.Input, s)))).ToList();
            foreach (var (i, s) in scored) results[i] = new TunerTrial(fitted[i].P, s, sample.Length, fitted[i].Seconds);
            if (sample.Length >= val.Length) break;
            alive = scored.OrderByDescending(x => x.S).Take(Math.Max(1, alive.Count / eta)).Select(x => x.I).ToList();
            size = alive.Count == 1 ? val.Length : size * eta;
        }
        var best = alive.OrderByDescending(i => results[i]!.ValidationNdcg).First();
        return new TunerResult(fitted[best].P, results[best]!.ValidationNdcg, results.Select(r => r!).ToArray());
    }
}
