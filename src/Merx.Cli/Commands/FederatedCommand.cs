using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Core.Import;
using Merx.Core.Splits;
using Merx.Evaluation.Federated;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;
using Merx.Models.Federated;
using Merx.Models.Sequential;
using Merx.Numerics;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx federated`: trains each model by federated averaging with secure aggregation (clients =
/// shards of users) and centrally, on the same leave-one-out split, and reports both test NDCG@10.
/// </summary>
internal static class FederatedCommand
{
    /// <summary>Models that can be trained federatedly: "mf" (BPR-MF, item side shared) and "sasrec" (the Transformer).</summary>
    private static readonly Dictionary<string, Func<IFederatedModel>> Factories = new(StringComparer.Ordinal)
    {
        ["mf"] = () => new Bpr(),
        ["sasrec"] = () => new SasRec(),
    };

    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var models = new Option<string>("--models") { Description = "comma-separated: mf (BPR-MF), sasrec (the Transformer)", DefaultValueFactory = _ => "mf,sasrec" };
        var seed = Cli.Seed();
        var json = Cli.Json();
        var rounds = new Option<int>("--rounds") { Description = "most federated rounds (training also stops early on validation NDCG@10)", DefaultValueFactory = _ => 400 };
        var clients = new Option<int>("--clients") { Description = "number of clients; users are sharded into them at random", DefaultValueFactory = _ => 100 };
        var fraction = new Option<double>("--fraction") { Description = "fraction of the clients taking part in each round", DefaultValueFactory = _ => 0.1 };
        var localEpochs = new Option<int>("--local-epochs") { Description = "passes over a client's own data per round", DefaultValueFactory = _ => 1 };
        var dropout = new Option<double>("--dropout") { Description = "fraction of each round's clients that drop out after key sharing (secure aggregation recovers their masks)", DefaultValueFactory = _ => 0.1 };
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per model and mode at most (federated and centralized each)" };
        var threads = new Option<int>("--threads") { Description = "threads for the numeric kernels and evaluation (0: all cores)", DefaultValueFactory = _ => 0 };
        var dpNoise = new Option<double>("--dp-noise") { Description = "Gaussian noise multiplier σ on the aggregate (client-level DP; 0 = off)", DefaultValueFactory = _ => 0 };
        var dpClip = new Option<double>("--dp-clip") { Description = "L2 clip of each client's update when --dp-noise is on", DefaultValueFactory = _ => 1.0 };
        var server = new Option<string>("--server-optimizer") { Description = "fedavg (θ += η·mean update) or fedadam (Adam on the mean update)", DefaultValueFactory = _ => "fedavg" }.AcceptOnlyFromAmong("fedavg", "fedadam");
        var serverLr = new Option<float>("--server-lr") { Description = "server step size η", DefaultValueFactory = _ => 1f };
        var localBatch = new Option<int?>("--local-batch") { Description = "local mini-batch of the Transformer (sequences; default 128)" };
        var localLr = new Option<float?>("--local-lr") { Description = "local learning rate of the Transformer (default 1e-3)" };
        var localSgd = new Option<bool>("--local-sgd") { Description = "plain SGD on the clients (use with --local-lr and --server-optimizer fedadam) instead of a fresh Adam per round" };
        var skipCentral = new Option<bool>("--skip-centralized") { Description = "do not train the centralized baseline (for tuning runs; the ratio is then missing)" };
        var command = new Command("federated", "Federated training with secure aggregation (clients are shards of users; the server sees only the masked sum), compared with centralized training on the same split: test NDCG@10 and HR@10 of both.")
        {
            data, format, models, seed, json, rounds, clients, fraction, localEpochs, dropout, budget, threads, dpNoise, dpClip, server, serverLr, localBatch, localLr, localSgd, skipCentral,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException("--models names no model");
            foreach (var n in names)
                if (!Factories.ContainsKey(n)) throw new ArgumentException($"--models: '{n}' cannot be trained federatedly (known: {string.Join(", ", Factories.Keys)})");
            var minutes = parse.GetValue(budget);
            if (minutes is { } m0 && !(m0 > 0)) throw new ArgumentException("--time-budget must be positive");
            var t = parse.GetValue(threads);
            if (t < 0) throw new ArgumentException("--threads must be 0 (all cores) or positive");
            var options = new FederatedOptions
            {
                Rounds = parse.GetValue(rounds), Clients = parse.GetValue(clients), Fraction = parse.GetValue(fraction),
                LocalEpochs = parse.GetValue(localEpochs), Dropout = parse.GetValue(dropout),
                DpNoise = parse.GetValue(dpNoise), DpClip = parse.GetValue(dpClip),
                Server = parse.GetValue(server) == "fedadam" ? ServerOptimizer.FedAdam : ServerOptimizer.FedAvg,
                ServerLearningRate = parse.GetValue(serverLr), LocalBatchSize = parse.GetValue(localBatch), LocalLearningRate = parse.GetValue(localLr), LocalSgd = parse.GetValue(localSgd),
                Seed = parse.GetValue(seed), TimeBudget = minutes is { } m ? TimeSpan.FromMinutes(m) : null,
            };
            options.Validate();
            if (t > 0) Gemm.MaxDegreeOfParallelism = t;

            var path = parse.GetValue(data)!;
            var importOptions = Cli.ImportOptions(false, null);
            var importReport = new ImportReport(importOptions);
            Cli.Progress.Report($"federated: reading {path}");
            var dataset = DatasetLoader.Load(DataSources.Open(path, parse.GetValue(format), importOptions), importReport);
            if (importReport.SkippedLines > 0) Console.Error.WriteLine(importReport);
            var split = Splitter.Create("loo", dataset.Sequences, options.Seed);
            var usersWithData = Enumerable.Range(0, split.Train.UserCount).Count(u => split.Train.LengthOf(u) > 0);
            if (options.Clients > usersWithData) throw new ArgumentException($"--clients {options.Clients} is more than the {usersWithData} users with training data");
            Cli.Progress.Report($"federated: {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items; split {split.Protocol}: {split.Train.EventCount:N0} training events, {split.Validation.Count:N0} validation and {split.Test.Count:N0} test cases");
            var inputs = EvaluationInputs.From(EvaluateCommand.DatasetName(path), dataset);
            var training = new TrainingData(split.Train, inputs.Catalog, split.Validation);
            var evalOptions = EvaluationOptions.ForTraining(split.Train, training.Features) with { Ks = [10, 20], Seed = options.Seed, MaxDegreeOfParallelism = t > 0 ? t : -1 };
            var report = new FederatedReport(inputs.DatasetName, split.Protocol, options.Seed, options);
            foreach (var name in names)
            {
                var model = Factories[name]();
                FederatedTrainingResult trained;
                try { trained = FederatedTrainer.Train(model, training, options, Cli.Progress, $"federated {name}"); }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    Cli.Progress.Report($"federated {name}: failed: {e.Message}");
                    report.Models.Add(new FederatedComparison(name, null, null, null, null, e.Message));
                    continue;
                }
                Cli.Progress.Report($"federated {name}: {trained.Rounds} rounds in {trained.WallSeconds:F0} s (best round {trained.BestRound}); evaluating {split.Test.Count:N0} test cases");
                var fed = Evaluator.Evaluate(model, split.Test, evalOptions);
                Cli.Progress.Report($"federated {name}: test NDCG@10={fed.Metrics["ndcg@10"]:F4} HR@10={fed.Metrics["hr@10"]:F4}");
                EvaluationResult? central = null;
                double? centralSeconds = null;
                if (!parse.GetValue(skipCentral))
                {
                    var fit = new FitOptions { Seed = options.Seed, Progress = Cli.Progress, TimeBudget = options.TimeBudget };
                    var run = EvaluationRunner.Run(split, inputs, [($"centralized {name}", () => (IRecommender)Factories[name]())], fit, Cli.Progress, evalOptions);
                    central = run.Models[0].Result;
                    centralSeconds = run.Models[0].TrainSeconds;
                }
                report.Models.Add(new FederatedComparison(name, fed, trained, central, centralSeconds));
            }
            Console.WriteLine(report.ToTable());
            if (parse.GetValue(json) is { } j) { report.WriteJson(j); Console.WriteLine($"wrote {j}"); }
            return 0;
        }));
        return command;
    }
}
