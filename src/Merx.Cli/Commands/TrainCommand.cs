using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;
using Merx.Models;
using Merx.Storage;
using Merx.Storage.Sqlite;

namespace Merx.Cli.Commands;

/// <summary>`merx train`: fits models on the store's data and publishes each as a new model version with its metrics.</summary>
internal static class TrainCommand
{
    public const string DefaultModels = "pop,itemknn,sasrec";

    public static Command Create()
    {
        var db = Cli.Db();
        var models = new Option<string>("--models") { Description = $"comma-separated models to train and publish ({string.Join(", ", ModelRegistry.Names)})", DefaultValueFactory = _ => DefaultModels };
        var seed = Cli.Seed();
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per model at most" };
        var command = new Command("train", "Train models on the store's events (leave-one-out: the last two events per user select and measure the model) and publish each as a new version.")
        {
            db, models, seed, budget,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"no store at {path} (create one with 'merx import')");
            using var store = SqliteStore.Open(path);
            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var minutes = parse.GetValue(budget);
            Train(store, names, new FitOptions { Seed = parse.GetValue(seed), Progress = Cli.Progress, TimeBudget = minutes is { } m ? TimeSpan.FromMinutes(m) : null });
            return 0;
        }));
        return command;
    }

    /// <summary>Fits, measures and publishes each model; returns the published versions.</summary>
    public static IReadOnlyList<ModelVersion> Train(IMerxStore store, IReadOnlyList<string> names, FitOptions fit)
    {
        foreach (var n in names) ModelRegistry.Create(n);
        Cli.Progress.Report("train: loading events from the store");
        var dataset = store.LoadDataset();
        if (dataset.Events.Count == 0) throw new InvalidOperationException("the store has no events to train on (import some first)");
        var split = Splitter.LeaveOneOut(dataset.Sequences);
        var data = TrainingData.FromSplit(split, dataset);
        var evalOptions = EvaluationOptions.ForTraining(split.Train, data.Features) with { Ks = [10, 20], BootstrapResamples = 200 };
        var published = new List<ModelVersion>();
        foreach (var name in names)
        {
            var model = ModelRegistry.Create(name);
            var clock = Stopwatch.StartNew();
            Cli.Progress.Report($"train: fitting {name} on {split.Train.EventCount:N0} events ({dataset.UserCount:N0} users, {dataset.ItemCount:N0} items)");
            model.Fit(data, fit);
            var seconds = clock.Elapsed.TotalSeconds;
            var result = Evaluator.Evaluate(model, split.Test, evalOptions);
            var metrics = JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["ndcg@10"] = result.Metrics["ndcg@10"],
                ["hr@10"] = result.Metrics["hr@10"],
                ["mrr"] = result.Metrics["mrr"],
                ["coverage@10"] = result.Metrics["coverage@10"],
                ["train_seconds"] = Math.Round(seconds, 2),
                ["test_users"] = split.Test.Count,
            });
            var version = store.PublishModel(name, new ModelPackage(model, dataset.Items, metrics).ToBytes(), metrics);
            published.Add(store.LatestModel(name)!);
            Console.WriteLine($"published {name} as version {version}: test NDCG@10 {result.Metrics["ndcg@10"]:F4}, HR@10 {result.Metrics["hr@10"]:F4} (leave-one-out, {split.Test.Count:N0} users), trained in {seconds:F1} s");
        }
        return published;
    }
}
