using System.Globalization;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Import;
using Merx.Core.Splits;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;
using Merx.Models.Sequential;

namespace Merx.Benchmarks;

/// <summary>
/// Issue 21: the Transformer's sampled softmax (N negatives drawn by popularity, log-Q corrected) against the
/// full softmax over the catalog, on a data set where both fit: one fit per process (so the peak RSS is that
/// fit's own), the leave-one-out split, early stopping on validation and the refit as `merx evaluate` does,
/// test metrics by full ranking. Run it once with <c>--negatives 0</c> (full) and once with N; with N, <c>--item-updates
/// dense</c> steps every item row each batch instead of the lazy step's touched rows (<see cref="SasRecOptions.LazyItemRows"/>).
/// <c>softmax-compare --data PATH --negatives N [--seed 42] [--max-epochs E] [--item-updates lazy|dense] --json OUT</c>
/// </summary>
public sealed class SoftmaxCompareBench : IBenchCommand
{
    public string Name => "softmax-compare";

    public int Run(string[] args)
    {
        string? data = null, json = null; int? negatives = null, maxEpochs = null; var seed = 42; var lazy = true;
        for (var i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--data": data = args[i + 1]; break;
                case "--negatives": negatives = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--max-epochs": maxEpochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--json": json = args[i + 1]; break;
                case "--item-updates": lazy = args[i + 1] switch { "lazy" => true, "dense" => false, _ => throw new ArgumentException("--item-updates is lazy or dense") }; break;
                default: Console.Error.WriteLine($"softmax-compare: unknown argument '{args[i]}'"); return 2;
            }
        if (data is null || json is null || negatives is not >= 0 || maxEpochs is <= 0)
        {
            Console.Error.WriteLine("usage: softmax-compare --data PATH --negatives N (0 = full softmax) [--seed S] [--max-epochs E] [--item-updates lazy|dense] --json OUT");
            return 2;
        }
        var dataset = DatasetLoader.Load(data);
        var split = Splitter.Create("loo", dataset.Sequences, seed);
        var name = negatives == 0 ? "sasrec full softmax" : $"sasrec sampled softmax ({negatives} negatives, log-Q, {(lazy ? "lazy" : "dense")} item updates)";
        var options = new SasRecOptions { SampledNegatives = negatives.Value, FullSoftmaxMaxItems = int.MaxValue, LazyItemRows = lazy };
        SasRec? model = null;
        var progress = new Progress<string>(line => Console.Error.WriteLine(line));
        var load0 = BenchFiles.LoadAverage();
        var run = EvaluationRunner.Run(split, new EvaluationInputs(Path.GetFileName(Path.GetFullPath(data).TrimEnd('/')), dataset.Catalog),
            [(name, () => model = new SasRec(options))], new FitOptions { Seed = seed, MaxEpochs = maxEpochs, Progress = progress }, progress);
        var result = run.Models[0];
        var report = new
        {
            command = "softmax-compare " + string.Join(' ', args),
            model = name,
            items = dataset.ItemCount,
            ndcg_at_10 = result.Result?.Metrics.GetValueOrDefault("ndcg@10"),
            ndcg_at_10_ci = result.Result?.Intervals.GetValueOrDefault("ndcg@10"),
            hr_at_10 = result.Result?.Metrics.GetValueOrDefault("hr@10"),
            epochs = model!.EpochsRun,
            best_epoch = model.BestEpoch,
            median_epoch_seconds = model.MedianEpochSeconds,
            fit_seconds = result.TrainSeconds,
            peak_rss_mb = PeakRssMb(),
            load_average = $"{load0} → {BenchFiles.LoadAverage()}",
        };
        var text = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(json, text);
        Console.WriteLine(text);
        return 0;
    }

    private static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        return double.NaN;
    }
}
