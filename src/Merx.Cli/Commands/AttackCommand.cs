using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Core.Trust;
using Merx.Evaluation.Attacks;
using Merx.Models;

namespace Merx.Cli.Commands;

/// <summary>`merx attack simulate`: fake-profile (shilling) attacks against the models, and the detector that quarantines them.</summary>
internal static class AttackCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var map = Cli.Map();
        var attack = new Option<string>("--attack")
        {
            Description = "random | average | bandwagon | segment, or several comma-separated: one report each, the clean fits made once " +
                "(and the defended ones too where the detector quarantined exactly the fakes); --json then needs {attack} in its path",
            Required = true,
        };
        var size = new Option<double>("--size") { Description = "fake users as a share of the genuine users (0.03: 3 fakes per 100 users)", DefaultValueFactory = _ => 0.03 };
        var filler = new Option<double>("--filler") { Description = "filler items per fake profile as a share of the catalog", DefaultValueFactory = _ => 0.01 };
        var targets = new Option<int>("--targets") { Description = "low-popularity items the attack pushes (every fake holds all of them); target HR@10 is averaged over them", DefaultValueFactory = _ => 5 };
        var models = new Option<string>("--models")
        {
            Description = "comma-separated models, trained on clean, attacked and defended data; the first one's figures are also the JSON's top-level keys",
            DefaultValueFactory = _ => "sasrec,itemknn",
        };
        var camouflage = new Option<bool>("--camouflage") { Description = "a stronger attacker: each fake copies a genuine user's profile length and (with clocks) account age and pacing" };
        var seed = Cli.Seed();
        var json = Cli.Json();
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per fit at most (the Transformer stops at its best validation point so far); say so when you quote the figures" };
        var epochs = Cli.MaxEpochs();
        var simulate = new Command("simulate",
            "Inject fake users pushing several low-popularity target items, train each model on clean, attacked and defended (suspects quarantined) " +
            "data of one leave-one-out split, and report target HR@10 (per target, the share of genuine test users with it in their top 10, averaged), " +
            "the detector's precision and recall, and genuine users' NDCG@10. --json writes {\"attack\", \"size\", \"target_hr@10_clean\", \"target_hr@10_attacked\", " +
            "\"target_hr@10_defended\", \"detection_precision\", \"detection_recall\", \"ndcg@10_clean\", \"ndcg@10_defended\", …} for the first model " +
            "(the Transformer by default) and the same keys per model in a \"models\" array.")
        {
            data, format, map, attack, size, filler, targets, camouflage, models, seed, json, budget, epochs,
        };
        simulate.SetAction(parse => Cli.Run(() =>
        {
            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException("--models names no model");
            foreach (var n in names) ModelRegistry.Create(n);
            if (parse.GetValue(budget) is <= 0) throw new ArgumentException("--time-budget must be positive");
            var kinds = parse.GetValue(attack)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(AttackOptions.ParseKind).ToArray();
            if (kinds.Length == 0) throw new ArgumentException("--attack names no attack");
            if (kinds.Distinct().Count() != kinds.Length) throw new ArgumentException("--attack names an attack twice");
            var jsonPath = parse.GetValue(json);
            if (kinds.Length > 1 && jsonPath is not null && !jsonPath.Contains("{attack}", StringComparison.Ordinal))
                throw new ArgumentException("with several attacks, --json needs {attack} in its path (one file per attack, e.g. out/ml1m-{attack}.json)");
            var attacks = kinds.Select(k => new AttackOptions
            {
                Kind = k,
                Size = parse.GetValue(size),
                Filler = parse.GetValue(filler),
                Targets = parse.GetValue(targets),
                Seed = parse.GetValue(seed),
                Camouflage = parse.GetValue(camouflage),
            }).ToArray();
            foreach (var a in attacks) a.Check();
            var path = parse.GetValue(data)!;
            var dataset = Cli.LoadDataset("attack", path, parse.GetValue(format), parse.GetValue(map));
            var fit = new FitOptions
            {
                Seed = parse.GetValue(seed), Progress = Cli.Progress, MaxEpochs = Cli.MaxEpochs(parse, epochs),
                TimeBudget = parse.GetValue(budget) is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            };
            var factories = names.Select(n => (n, (Func<IRecommender>)(() => ModelRegistry.Create(n)))).ToArray();
            // Each attack's table and file as soon as it is complete: a run over several attacks of a converged model
            // takes hours, and the finished attacks' figures must survive a stop.
            AttackExperiment.Run(EvaluateCommand.DatasetName(path), dataset.Sequences, dataset.Catalog, attacks, new DetectorOptions(), factories, fit, Cli.Progress, result =>
            {
                var kind = result.Attack.Kind.ToString().ToLowerInvariant();
                Console.WriteLine($"{result.Dataset}: {kind} attack, size {result.Attack.Size:P1}, filler {result.Attack.Filler:P1}, seed {result.Attack.Seed}; " +
                    $"{result.FakeUsers:N0} fakes; detection precision {result.DetectionPrecision:F3} recall {result.DetectionRecall:F3} F1 {result.DetectionF1:F3}" +
                    (result.DefendedIsClean ? " (exactly the fakes: the defended fit is the clean one)" : ""));
                Console.WriteLine("| model | target HR@10 clean | attacked | defended | gain cut | NDCG@10 clean | attacked | defended |");
                Console.WriteLine("|---|---|---|---|---|---|---|---|");
                foreach (var m in result.Models)
                    Console.WriteLine($"| {m.Model} | {m.TargetHr.Clean:F4} | {m.TargetHr.Attacked:F4} | {m.TargetHr.Defended:F4} | {m.GainCut:P1} | {m.Ndcg.Clean:F4} | {m.Ndcg.Attacked:F4} | {m.Ndcg.Defended:F4} |");
                if (jsonPath is not null)
                {
                    var file = jsonPath.Replace("{attack}", kind, StringComparison.Ordinal);
                    result.WriteJson(file);
                    Console.WriteLine($"wrote {file}");
                }
            });
            return 0;
        }));
        return new Command("attack", "Fake-profile (shilling) attacks and the defence against them.") { simulate };
    }
}
