using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;

namespace Merx.Cli.Commands;

/// <summary>`merx tune`: random search or successive halving over one model's hyper-parameters, selected on validation, reported on test.</summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var model = new Option<string>("--model") { Description = $"the model to tune ({string.Join(", ", SearchSpaces.Names)})", Required = true };
        var method = new Option<string>("--method") { Description = "random (every trial on the whole validation set) or halving (successive halving over validation users)", DefaultValueFactory = _ => "random" }
            .AcceptOnlyFromAmong("random", "halving");
        var trials = new Option<int>("--trials") { Description = "configurations to try", DefaultValueFactory = _ => 20 };
        var budget = new Option<double?>("--time-budget") { Description = "minutes in all: no new trial starts after this, and each fit gets what is left" };
        var split = new Option<string>("--split") { Description = "loo (leave-one-out), temporal or random", DefaultValueFactory = _ => "loo" }.AcceptOnlyFromAmong("loo", "temporal", "random");
        var seed = Cli.Seed();
        var json = Cli.Json();
        var map = Cli.Map();
        var command = new Command("tune", "Search a model's hyper-parameters (random search or successive halving), selecting on the validation split only; prints every trial, the best configuration and its test figures.")
        {
            data, format, model, method, trials, budget, split, seed, json, map,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var name = parse.GetValue(model)!;
            if (!SearchSpaces.Names.Contains(name)) throw new ArgumentException($"model '{name}' has no hyper-parameters to tune (tunable: {string.Join(", ", SearchSpaces.Names)})");
            var n = parse.GetValue(trials);
            if (n < 1) throw new ArgumentException("--trials must be at least 1");
            var minutes = parse.GetValue(budget);
            if (minutes is <= 0) throw new ArgumentException("--time-budget must be positive");
            var s0 = parse.GetValue(seed);
            var path = parse.GetValue(data)!;
            var dataset = Cli.LoadDataset("tune", path, parse.GetValue(format), parse.GetValue(map));
            var s = Splitter.Create(parse.GetValue(split)!, dataset.Sequences, s0);
            Cli.Progress.Report($"tune: {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items; split {s.Protocol}: {s.Validation.Count:N0} validation and {s.Test.Count:N0} test cases");
            var training = TrainingData.FromSplit(s, dataset);
            var space = SearchSpaces.For(name, training);
            var how = parse.GetValue(method) == "halving" ? TunerMethod.Halving : TunerMethod.Random;
            var result = Tuner.Search(training, space.Ranges, space.Create, n, minutes is { } m ? TimeSpan.FromMinutes(m) : TimeSpan.MaxValue, s0,
                progress: Cli.Progress, method: how);
            var best = result.BestModel!;
            Cli.Progress.Report($"tune: best {Tuner.Describe(result.Best)}; evaluating it on {s.Test.Count:N0} test cases");
            var evalOptions = EvaluationOptions.ForTraining(s.Train, training.Features) with { Seed = s0 };
            var test = Evaluator.Evaluate(best, s.Test, evalOptions);
            var fit = result.Trials.First(t => ReferenceEquals(t.Parameters, result.Best)).FitSeconds;
            var tuned = new TuneReport(EvaluateCommand.DatasetName(path), s.Protocol, name, how, s0, result,
                new ModelRunResult(name, test, fit, ModelIntrospection.Epochs(best), s0, ModelIntrospection.Parameters(best)));
            Console.WriteLine(tuned.ToTable());
            if (parse.GetValue(json) is { } j) { tuned.WriteJson(j); Console.WriteLine($"wrote {j}"); }
            return 0;
        }));
        return command;
    }
}
