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
using Merx.Models.Training;
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

    // Per-model recipes (measured on Amazon Beauty, bench/results/federated.md). Both train by local
    // SGD with FedAdam on the server: a fresh adaptive optimizer per client and round (Adagrad, Adam)
    // takes sign-like first steps whose noise the average does not remove. MF's clients also refit
    // their users against the current items at the start of their round and at the end (local only).
    private const int MfLocalEpochs = 5;
    private const int MfUserRefit = 20;
    private const float MfSgdLr = 0.1f;
    private const float MfServerLr = 0.01f;
    private const int SasRecLocalEpochs = 2;
    private const float SasRecSgdLr = 0.5f;
    private const float SasRecServerLr = 0.03f;

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
        var localEpochs = new Option<int?>("--local-epochs") { Description = $"passes over a client's own data per round (default: mf {MfLocalEpochs}, sasrec {SasRecLocalEpochs})" };
        var dropout = new Option<double>("--dropout") { Description = "fraction of each round's clients that drop out after key sharing (secure aggregation recovers their masks)", DefaultValueFactory = _ => 0.1 };
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per model and mode at most (federated and centralized each)" };
        var threads = new Option<int>("--threads") { Description = "threads for the numeric kernels and evaluation (0: all cores)", DefaultValueFactory = _ => 0 };
        var dpNoise = new Option<double>("--dp-noise") { Description = "Gaussian noise multiplier σ on the aggregate (client-level DP; 0 = off)", DefaultValueFactory = _ => 0 };
        var dpClip = new Option<double>("--dp-clip") { Description = "L2 clip of each client's update when --dp-noise is on", DefaultValueFactory = _ => 1.0 };
        var server = new Option<string>("--sasrec-server") { Description = "Transformer: server optimizer, fedadam (Adam on the mean update) or fedavg (θ += η·mean update)", DefaultValueFactory = _ => "fedadam" }.AcceptOnlyFromAmong("fedavg", "fedadam");
        var serverLr = new Option<float>("--sasrec-server-lr") { Description = "Transformer: server step size η", DefaultValueFactory = _ => SasRecServerLr };
        var localOptimizer = new Option<string>("--sasrec-local-optimizer") { Description = "Transformer: sgd, or adam (a fresh Adam per client and round, lr 1e-3 unless --sasrec-local-lr)", DefaultValueFactory = _ => "sgd" }.AcceptOnlyFromAmong("sgd", "adam");
        var localLr = new Option<float?>("--sasrec-local-lr") { Description = $"Transformer: local learning rate (default {SasRecSgdLr} for sgd, 1e-3 for adam)" };
        var localBatch = new Option<int>("--sasrec-local-batch") { Description = "Transformer: local mini-batch in sequences", DefaultValueFactory = _ => 32 };
        var mfServer = new Option<string>("--mf-server") { Description = "MF: server optimizer, fedavg (θ += η·mean update) or fedadam (Adam on the mean update)", DefaultValueFactory = _ => "fedadam" }.AcceptOnlyFromAmong("fedavg", "fedadam");
        var mfServerLr = new Option<float?>("--mf-server-lr") { Description = $"MF: server step size η (default {MfServerLr} for fedadam, 1 for fedavg)" };
        var mfLocalOptimizer = new Option<string>("--mf-local-optimizer") { Description = "MF: item side's local optimizer, sgd or adagrad (fresh every round)", DefaultValueFactory = _ => "sgd" }.AcceptOnlyFromAmong("adagrad", "sgd");
        var mfLocalLr = new Option<float?>("--mf-local-lr") { Description = $"MF: local SGD step of the item side (default {MfSgdLr}; sgd only)" };
        var mfUserRefit = new Option<int>("--mf-user-refit") { Description = "MF: passes with which a client refits its users against the current items at the start of its round and every client at the end (local only; 0 = off)", DefaultValueFactory = _ => MfUserRefit };
        var plain = new Option<bool>("--plain-aggregation") { Description = "tuning only: average the updates in the clear instead of through secure aggregation (same mean, less time per round)" };
        var skipCentral = new Option<bool>("--skip-centralized") { Description = "do not train the centralized baseline (for tuning runs; the ratio is then missing)" };
        var command = new Command("federated", "Federated training with secure aggregation (clients are shards of users; the server sees only the masked sum), compared with centralized training on the same split: test NDCG@10 and HR@10 of both.")
        {
            data, format, models, seed, json, rounds, clients, fraction, localEpochs, dropout, budget, threads, dpNoise, dpClip, server, serverLr, localOptimizer, localLr, localBatch,
            mfServer, mfServerLr, mfLocalOptimizer, mfLocalLr, mfUserRefit, plain, skipCentral,
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
                LocalEpochs = parse.GetValue(localEpochs) ?? 1, Dropout = parse.GetValue(dropout),
                DpNoise = parse.GetValue(dpNoise), DpClip = parse.GetValue(dpClip),
                Seed = parse.GetValue(seed), SecureAggregation = !parse.GetValue(plain), TimeBudget = minutes is { } m ? TimeSpan.FromMinutes(m) : null,
            };
            options.Validate();
            var sgd = parse.GetValue(localOptimizer) == "sgd";
            var sasrecOptions = options with
            {
                LocalEpochs = parse.GetValue(localEpochs) ?? SasRecLocalEpochs,
                Server = parse.GetValue(server) == "fedadam" ? ServerOptimizer.FedAdam : ServerOptimizer.FedAvg,
                ServerLearningRate = parse.GetValue(serverLr), LocalSgd = sgd,
                LocalLearningRate = parse.GetValue(localLr) ?? (sgd ? SasRecSgdLr : null), LocalBatchSize = parse.GetValue(localBatch),
                RefitWithValidation = true, Patience = 6,
            };
            sasrecOptions.Validate();
            var mfSgd = parse.GetValue(mfLocalOptimizer) == "sgd";
            var mfAdam = parse.GetValue(mfServer) == "fedadam";
            if (parse.GetValue(mfServerLr) is { } eta && !(eta > 0)) throw new ArgumentException($"--mf-server-lr must be positive (got {eta})");
            if (parse.GetValue(mfLocalLr) is { } mlr && !(mlr > 0)) throw new ArgumentException($"--mf-local-lr must be positive (got {mlr})");
            if (!mfSgd && parse.GetValue(mfLocalLr) is not null) throw new ArgumentException("--mf-local-lr applies to --mf-local-optimizer sgd only (Adagrad uses the model's own step)");
            var mfOptions = options with
            {
                LocalEpochs = parse.GetValue(localEpochs) ?? MfLocalEpochs,
                Server = mfAdam ? ServerOptimizer.FedAdam : ServerOptimizer.FedAvg,
                ServerLearningRate = parse.GetValue(mfServerLr) ?? (mfAdam ? MfServerLr : 1f), LocalSgd = mfSgd,
                LocalLearningRate = mfSgd ? parse.GetValue(mfLocalLr) ?? MfSgdLr : null, UserRefitEpochs = parse.GetValue(mfUserRefit),
            };
            mfOptions.Validate();
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
                var recipe = name == "sasrec" ? sasrecOptions : mfOptions;
                FederatedTrainingResult trained;
                try { trained = FederatedTrainer.Train(model, training, recipe, Cli.Progress, $"federated {name}"); }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    Cli.Progress.Report($"federated {name}: failed: {e.Message}");
                    report.Models.Add(new FederatedComparison(name, recipe, null, null, null, null, e.Message));
                    continue;
                }
                Cli.Progress.Report($"federated {name}: {trained.Rounds} rounds{(trained.RefitRounds > 0 ? $" + {trained.RefitRounds} refit rounds on training + validation items" : "")} in {trained.WallSeconds:F0} s (best round {trained.BestRound}); evaluating {split.Test.Count:N0} test cases");
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
                report.Models.Add(new FederatedComparison(name, recipe, fed, trained, central, centralSeconds));
            }
            Console.WriteLine(report.ToTable());
            if (parse.GetValue(json) is { } j) { report.WriteJson(j); Console.WriteLine($"wrote {j}"); }
            return 0;
        }));
        return command;
    }
}
