using System.Diagnostics;
using System.Globalization;
using Merx.Core.Contracts;
using Merx.Core.Import;
using Merx.Core.Splits;
using Merx.Models.Sequential;

namespace Merx.Benchmarks;

/// <summary>
/// `sasrec-speed`: wall seconds per training epoch of the Transformer in the Beauty configuration
/// (d = 64, 2 blocks, 1 head, max length 50, batch 128, full-softmax CE, dropout 0.5) on the
/// leave-one-out training sequences, with no validation checks between epochs, so every second
/// counted is training. Prints one line per epoch (seconds, sequences/s) and the median, for
/// side-by-side timing against a reference implementation run in between.
/// <c>sasrec-speed --data ../shared/datasets/amazon-beauty --epochs 3 --seed 42 [--threads 2] [--noside]</c>
/// </summary>
public sealed class SasRecSpeedBench : IBenchCommand
{
    public string Name => "sasrec-speed";

    public int Run(string[] args)
    {
        string? data = null; var epochs = 3; var seed = 42; var threads = Environment.ProcessorCount; var side = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": data = args[++i]; break;
                case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--noside": side = false; break;
                default: Console.Error.WriteLine($"sasrec-speed: unknown argument '{args[i]}'"); return 2;
            }
        }
        if (data is null || epochs <= 0 || threads <= 0)
        {
            Console.Error.WriteLine("usage: sasrec-speed --data PATH [--epochs N] [--seed S] [--threads T] [--noside]");
            return 2;
        }
        Merx.Numerics.Gemm.MaxDegreeOfParallelism = threads;
        var dataset = DatasetLoader.Load(data);
        var split = Splitter.Create("loo", dataset.Sequences, seed);
        var training = new TrainingData(split.Train, dataset.Catalog); // no validation: every epoch is pure training
        var model = new SasRec(new SasRecOptions { MaxLength = 50, Dropout = 0.5f, MaxEpochs = epochs, UseSideInformation = side });
        var users = Enumerable.Range(0, split.Train.UserCount).Count(u => split.Train.LengthOf(u) >= 2);
        Console.WriteLine($"sasrec-speed: {users:N0} training sequences, {split.Train.EventCount:N0} events, {dataset.ItemCount:N0} items, side information {(side ? "on" : "off")}, {threads} threads, load average {BenchFiles.LoadAverage()}");
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        model.Fit(training, new FitOptions { Seed = seed, Progress = new Progress<string>(line => Console.Error.WriteLine(line)) });
        clock.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var times = model.EpochSeconds;
        for (var e = 0; e < times.Count; e++)
            Console.WriteLine($"merx epoch {e + 1}: {times[e]:F2} s, {users / times[e]:F0} seq/s");
        var sorted = times.Order().ToArray();
        var median = sorted[sorted.Length / 2];
        Console.WriteLine($"merx median: {median:F2} s/epoch, {users / median:F0} seq/s ({times.Count} epochs, fit {clock.Elapsed.TotalSeconds:F1} s wall, {cpu:F1} s CPU, load average {BenchFiles.LoadAverage()})");
        return 0;
    }
}
