using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Models;
using Merx.Service.Training;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx worker` (issue 18): the training process beside the serving replicas. It trains and publishes the
/// models now, and with --train-every again every MIN minutes, holding <see cref="TrainingLock"/> while it
/// trains: a second worker waits its turn instead of training the same models at the same time. A version is
/// published in one transaction with its payload, so a worker killed mid-training or mid-publish leaves the
/// previous version serving; replicas over a PostgreSQL store swap to a new version as it commits (NOTIFY).
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var models = new Option<string>("--models") { Description = $"comma-separated models to train and publish ({ModelRegistry.Known})", DefaultValueFactory = _ => TrainCommand.DefaultModels };
        var every = new Option<double?>("--train-every") { Description = "train again every MIN minutes (default: train once and exit)" };
        var budget = new Option<double?>("--time-budget") { Description = "minutes of training per model at most" };
        var seed = Cli.Seed();
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("worker", "Train and publish models for the replicas serving a store, now and with --train-every every MIN minutes. Only one worker trains at a time (a PostgreSQL advisory lock, or a lock file beside a SQLite store); a worker killed mid-training leaves the previous version serving.")
        {
            db, models, every, budget, seed, keyFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var interval = parse.GetValue(every) is { } m ? (m > 0 ? TimeSpan.FromMinutes(m) : throw new ArgumentException("--train-every must be positive")) : (TimeSpan?)null;
            var minutes = parse.GetValue(budget);
            if (minutes is <= 0) throw new ArgumentException("--time-budget must be positive");
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path)) throw new FileNotFoundException($"no store at {path} (create one with 'merx import')");
            var names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            using var store = TrainCommand.OpenChecked(path, parse.GetValue(keyFile));
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            while (!stop.IsCancellationRequested)
            {
                var next = DateTime.UtcNow + (interval ?? TimeSpan.Zero);
                using (var lease = TrainingLock.TryAcquire(store))
                {
                    if (lease is null) Cli.Progress.Report("worker: another worker is training this store; waiting for the next round");
                    else
                    {
                        Cli.Progress.Report($"worker: training {string.Join(", ", names)}");
                        ModelTrainer.Train(store, names, new FitOptions { Seed = parse.GetValue(seed), Progress = Cli.Progress, TimeBudget = minutes is { } t ? TimeSpan.FromMinutes(t) : null },
                            new TrainCommand.StdoutAndProgress(), stop.Token);
                    }
                }
                if (interval is null) break;
                var wait = next - DateTime.UtcNow;
                if (wait > TimeSpan.Zero) stop.Token.WaitHandle.WaitOne(wait);
            }
            return 0;
        }));
        return command;
    }
}
