using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.Harness;

/// <summary>
/// K-fold user cross-validation of several models: each fold of <see cref="CrossValidation.UserFolds"/>
/// is run by <see cref="EvaluationRunner"/> (fit on the other folds' users, measure the held-out
/// users), then every metric is summarised per model as its mean and standard deviation across
/// folds, with a 95% Student-t interval of the mean. A model that fails in any fold is reported failed.
/// </summary>
public static class CrossValidationRunner
{
    public static EvaluationRun Run(UserSequences sequences, int folds, EvaluationInputs inputs, IReadOnlyList<(string Name, Func<IRecommender> Create)> models,
        FitOptions fit, IProgress<string>? progress = null, Func<Split, EvaluationOptions>? options = null)
    {
        var splits = CrossValidation.UserFolds(sequences, folds, fit.Seed);
        var runs = new List<EvaluationRun>(folds);
        for (var f = 0; f < splits.Count; f++)
        {
            progress?.Report($"cross-validation: fold {f + 1}/{folds} ({splits[f].Test.Count:N0} held-out users)");
            runs.Add(EvaluationRunner.Run(splits[f], inputs, models, fit, progress, options?.Invoke(splits[f])));
        }
        return Summarize(runs, $"user-{folds}-fold-cv");
    }

    /// <summary>Per-model mean, sample standard deviation and t-interval of every metric over the fold runs (same models in the same order in each).</summary>
    public static EvaluationRun Summarize(IReadOnlyList<EvaluationRun> runs, string protocol)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs.Count, 2);
        var k = runs.Count;
        var summary = new EvaluationRun(runs[0].Dataset, protocol, runs[0].Users, runs[0].Items) { Folds = k };
        for (var m = 0; m < runs[0].Models.Count; m++)
        {
            var lines = runs.Select(r => r.Models[m]).ToList();
            var first = lines[0];
            var meanTrain = lines.Average(l => l.TrainSeconds);
            if (lines.FirstOrDefault(l => l.Result is null) is { } failed)
            {
                summary.Models.Add(first with { Result = null, TrainSeconds = meanTrain, Error = failed.Error, Folds = k });
                continue;
            }
            var results = lines.Select(l => l.Result!).ToList();
            var names = results.Select(r => r.Metrics.Keys).Aggregate((a, b) => a.Intersect(b)).ToList();
            var means = new Dictionary<string, double>(); var sds = new Dictionary<string, double>(); var cis = new Dictionary<string, Interval>();
            var t = StudentT975(k - 1);
            foreach (var name in names)
            {
                var values = results.Select(r => r.Metrics[name]).ToArray();
                var mean = values.Average();
                var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (k - 1));
                means[name] = mean; sds[name] = sd;
                cis[name] = new Interval(mean - t * sd / Math.Sqrt(k), mean + t * sd / Math.Sqrt(k));
            }
            var seconds = results.Sum(r => r.Seconds);
            var result = new EvaluationResult(results[0].Ranking, results.Sum(r => r.Cases), means, cis, seconds, seconds > 0 ? results.Sum(r => r.Cases) / seconds : 0);
            var epochs = lines.All(l => l.Epochs is not null) ? (int?)Math.Round(lines.Average(l => l.Epochs!.Value)) : null;
            summary.Models.Add(first with { Result = result, TrainSeconds = meanTrain, Epochs = epochs, Sd = sds, Folds = k });
        }
        return summary;
    }

    /// <summary>
    /// The 0.975 quantile of Student's t with <paramref name="df"/> degrees of freedom: tabulated
    /// for df ≤ 30 (Abramowitz &amp; Stegun, Table 26.10), above that the Cornish–Fisher expansion
    /// z + (z³+z)/(4df) + (5z⁵+16z³+3z)/(96df²), within 0.001 of the table at df = 40, 60, 120.
    /// </summary>
    public static double StudentT975(int df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        ReadOnlySpan<double> table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        if (df <= table.Length) return table[df - 1];
        const double z = 1.959963984540054;
        return z + (z * z * z + z) / (4.0 * df) + (5 * Math.Pow(z, 5) + 16 * z * z * z + 3 * z) / (96.0 * df * df);
    }
}
