using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;
using Merx.Models;

namespace Merx.Cli.Commands;

/// <summary>`merx evaluate`: trains each model on the same split, selects on validation, reports test metrics.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var models = new Option<string>("--models") { Description = $"comma-separated models ({ModelRegistry.Known})", DefaultValueFactory = _ => "pop,itemknn,ease" };
        var split = new Option<string>("--split") { Description = "loo (leave-one-out), temporal or random", DefaultValueFactory = _ => "loo" }.AcceptOnlyFromAmong("loo", "temporal", "random");
        var ks = new Option<string>("--k") { Description = "cut-offs for the metrics, e.g. 10,20", DefaultValueFactory = _ => "5,10,20" };
        var seed = Cli.Seed();
        var json = Cli.Json();
        var html = new Option<string?>("--report") { Description = "also write an HTML report with charts to this file" };
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per model at most (iterative models stop at their best validation point so far)" };
        var map = Cli.Map();
        var epochs = Cli.MaxEpochs();
        var cold = new Option<double>("--cold-items") { Description = "hide this fraction of items (seeded) from training and report only test cases whose target is one of them: how well new items are placed", DefaultValueFactory = _ => 0 };
        var cv = new Option<int?>("--cv-folds") { Description = "user K-fold cross-validation instead of one split: each model is trained and measured K times, reported as mean ± sd over folds" };
        var calibrate = new Option<double?>("--calibrate")
        {
            Description = "also measure every model re-ranked for calibration (Steck's greedy calibrated re-ranking with this λ in [0, 1], "
                + "top K slots chosen from the model's best 100): each model gets a second line NAME+cal from the same fit, so the NDCG cost and "
                + "the change in miscalibration@10 and head_share@10 are read off one run. Needs item categories (e.g. MovieLens genres)",
        };
        var int8 = new Option<bool>("--int8") { Description = "also measure each model with int8 inference (sasrec) through its int8 copy of the same fit: a second line NAME+int8 with its weight bytes" };
        var noText = CliText.NoTextOption();
        var textCache = CliText.CacheOption();
        var images = CliText.ImagesOption();
        var dp = new DpOptions();
        var command = new Command("evaluate", "Train models on a split of a data set and measure them on held-out data with full ranking: NDCG, HR, MRR, coverage, diversity, novelty, popularity bias (head share) and miscalibration, with bootstrap 95% CIs.")
        {
            data, format, models, split, ks, seed, json, html, budget, map, cold, cv, noText, textCache, calibrate, epochs, images, int8,
        };
        foreach (var o in dp.All) command.Options.Add(o);
        command.SetAction(parse => Cli.Run(() =>
        {
            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException("--models names no model");
            foreach (var n in names) ModelRegistry.Create(n); // fail fast on an unknown name
            var cutoffs = parse.GetValue(ks)!.Split(',').Select(k => int.TryParse(k, out var v) && v > 0 ? v : throw new ArgumentException($"--k: '{k}' is not a positive integer")).ToArray();
            if (parse.GetValue(budget) is <= 0) throw new ArgumentException("--time-budget must be positive");
            var lambda = parse.GetValue(calibrate);
            if (lambda is < 0 or > 1 || (lambda is { } l0 && double.IsNaN(l0))) throw new ArgumentException($"--calibrate {lambda}: λ must be in [0, 1]");
            // Benchmarks are reproducible per seed: the DP noise comes from the seeded generator here (`merx train` uses the OS CSPRNG).
            var privacy = dp.Parse(parse, seededNoise: true);
            if (privacy is not null) DpOptions.RequirePrivate(names);
            var path = parse.GetValue(data)!;
            var dataset = Cli.LoadDataset("evaluate", path, parse.GetValue(format), parse.GetValue(map));
            if (lambda is not null && Ranking.Pipeline.Calibration.Categories(dataset.Catalog).Categories.All(c => c.Length == 0))
                throw new ArgumentException("--calibrate needs item categories (a category path, e.g. MovieLens genres from movies.dat), and this data set's catalog has none");
            var minutes = parse.GetValue(budget);
            var fit = new FitOptions { Seed = parse.GetValue(seed), Progress = Cli.Progress, TimeBudget = minutes is { } m ? TimeSpan.FromMinutes(m) : null, MaxEpochs = Cli.MaxEpochs(parse, epochs), Privacy = privacy };
            var text = CliText.ForModels(names, dataset.Catalog, parse.GetValue(noText), parse.GetValue(textCache));
            if (parse.GetValue(images) is { } folder && names.Any(ModelRegistry.ReadsText)) text = PretrainedVectors.Join(text, CliText.Images(dataset.Catalog, folder));
            var inputs = EvaluationInputs.From(DatasetName(path), dataset, text: text);
            var factories = names.Select(n => (n, (Func<IRecommender>)(() => ModelRegistry.Create(n)))).ToArray();
            EvaluationRun run;
            if (parse.GetValue(cv) is { } folds)
            {
                if (folds < 2) throw new ArgumentException("--cv-folds must be at least 2");
                if (parse.GetValue(cold) != 0) throw new ArgumentException("--cv-folds and --cold-items cannot be combined");
                if (folds > dataset.UserCount) throw new ArgumentException($"--cv-folds {folds} is more than the {dataset.UserCount} users");
                Cli.Progress.Report($"evaluate: {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items; user {folds}-fold cross-validation (--split is not used)");
                var features = Core.Data.ItemFeatures.FromCatalog(dataset.Catalog);
                run = CrossValidationRunner.Run(dataset.Sequences, folds, inputs, factories, fit, Cli.Progress,
                    f => EvaluationOptions.ForTraining(f.Train, features, dataset.Catalog) with { Ks = cutoffs.Union([10, 20]).Order().ToArray(), CalibrationLambda = lambda });
                Write(run);
                return 0;
            }
            var s = Splitter.Create(parse.GetValue(split)!, dataset.Sequences, parse.GetValue(seed));
            if (parse.GetValue(cold) is var fraction and not 0)
            {
                if (fraction is < 0 or >= 1) throw new ArgumentException("--cold-items must be a fraction in (0, 1)");
                s = Splitter.HideItems(s, fraction, parse.GetValue(seed));
            }
            Cli.Progress.Report($"evaluate: {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items; split {s.Protocol}: {s.Train.EventCount:N0} training events, {s.Validation.Count:N0} validation and {s.Test.Count:N0} test cases");
            var evalOptions = EvaluationOptions.ForTraining(s.Train, Core.Data.ItemFeatures.FromCatalog(dataset.Catalog), dataset.Catalog) with { Ks = cutoffs.Union([10, 20]).Order().ToArray(), CalibrationLambda = lambda, Int8Twin = parse.GetValue(int8) };
            run = EvaluationRunner.Run(s, inputs, factories, fit, Cli.Progress, evalOptions);
            Write(run);
            return 0;

            void Write(EvaluationRun r)
            {
                Console.WriteLine(r.ToTable());
                if (parse.GetValue(json) is { } j) { r.WriteJson(j); Console.WriteLine($"wrote {j}"); }
                if (parse.GetValue(html) is { } h) { r.WriteHtml(h); Console.WriteLine($"wrote {h}"); }
            }
        }));
        return command;
    }

    /// <summary>The data set's folder name ("amazon-beauty"), or the file name without extension.</summary>
    public static string DatasetName(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileNameWithoutExtension(full);
    }
}
