using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Models;
using Merx.Service.Privacy;
using Merx.Storage;
using Merx.Service.Training;

namespace Merx.Cli.Commands;

/// <summary>`merx train`: fits models on the store's data and publishes each as a new model version with its metrics.</summary>
internal static class TrainCommand
{
    public const string DefaultModels = "trending,itemknn,sasrec";

    public static Command Create()
    {
        var db = Cli.Db();
        var models = new Option<string>("--models") { Description = $"comma-separated models to train and publish ({ModelRegistry.Known})", DefaultValueFactory = _ => DefaultModels };
        var seed = Cli.Seed();
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per model at most" };
        var keyFile = CliPrivacy.KeyFile();
        var noText = CliText.NoTextOption();
        var dp = new DpOptions();
        var command = new Command("train", "Train models on the store's events (leave-one-out: the last two events per user select and measure the model) and publish each as a new version. A pseudonymized store needs its key (MERX_PSEUDONYM_KEY or its key file); forgotten users are not in the store, so not in the model. With --dp-epsilon, models train with user-level DP-SGD and the version's metrics record the ε and δ spent.")
        {
            db, models, seed, budget, keyFile, noText,
        };
        foreach (var o in dp.All) command.Options.Add(o);
        command.SetAction(parse => Cli.Run(() =>
        {
            if (parse.GetValue(budget) is <= 0) throw new ArgumentException("--time-budget must be positive");
            var privacy = dp.Parse(parse, seededNoise: false);   // released models: noise from the OS CSPRNG
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path!)) throw new FileNotFoundException($"no store at {path} (create one with 'merx import')");
            using var store = OpenChecked(path, parse.GetValue(keyFile));
            // Private training without --models trains the Transformer only (the default list has non-private models).
            var modelList = privacy is not null && parse.GetResult(models) is null or { Implicit: true } ? Merx.Models.Sequential.SasRec.ModelName : parse.GetValue(models)!;
            var names = modelList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (privacy is not null) DpOptions.RequirePrivate(names);
            var minutes = parse.GetValue(budget);
            // Item text vectors live in the store: contents already encoded are reused, new ones encoded and stored.
            using var text = parse.GetValue(noText) ? null : new Merx.Service.Catalog.ItemTextVectors(store);
            ModelTrainer.Train(store, names, new FitOptions { Seed = parse.GetValue(seed), Progress = Cli.Progress, TimeBudget = minutes is { } m ? TimeSpan.FromMinutes(m) : null, Privacy = privacy }, new StdoutAndProgress(), text: text);
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Opens a store for a command that writes no user ids (training): a pseudonymized store is opened
    /// only with its own key (refused otherwise, like every writer); a store that never recorded a key
    /// opens as it is, with a warning when it holds users (their ids were stored before pseudonymization).
    /// </summary>
    internal static IMerxStore OpenChecked(string path, string? keyFile)
    {
        var store = MerxStores.Open(path);
        try
        {
            if (store.GetSetting(PseudonymKeys.FingerprintSetting) is not null)
            {
                var key = PseudonymKeys.Resolve(path, KeyUse.Read, keyFile: keyFile);
                PseudonymKeys.Bind(store, key);
            }
            else if (store.GetStats().Users > 0)
                Console.Error.WriteLine($"WARNING: {path} records no pseudonymization key: its user ids were stored as given (import it again with MERX_PSEUDONYM_KEY set to pseudonymize them)");
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Training progress to stderr, the "published …" lines to stdout.</summary>
    internal sealed class StdoutAndProgress : IProgress<string>
    {
        public void Report(string value)
        {
            if (value.StartsWith("published ", StringComparison.Ordinal)) Console.WriteLine(value);
            else Cli.Progress.Report(value);
        }
    }
}
