using System.CommandLine;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Import;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>`merx stats`: what a data set (read directly) or a store holds.</summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var data = Cli.Data(required: false);
        var format = Cli.Format();
        var db = Cli.Db(required: false);
        var json = Cli.Json();
        var map = Cli.Map();
        var command = new Command("stats", "Users, items, events by kind, sequence lengths and sparsity of a data set (--data) or of a store (--db).")
        {
            data, format, db, json, map,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var dataPath = parse.GetValue(data);
            var dbPath = parse.GetValue(db);
            if ((dataPath is null) == (dbPath is null)) throw new ArgumentException("give exactly one of --data PATH or --db FILE");
            DatasetStats stats;
            if (dataPath is not null)
            {
                var options = Cli.ImportOptions(false, parse.GetValue(map));
                var report = new ImportReport(options);
                var dataset = DatasetLoader.Load(DataSources.Open(dataPath, parse.GetValue(format), options), report);
                stats = DatasetStats.Compute(dataset, report.SkippedLines);
                if (report.SkippedLines > 0) Console.Error.WriteLine(report);
            }
            else
            {
                if (!MerxStores.Exists(dbPath!)) throw new FileNotFoundException($"no store at {dbPath} (create one with 'merx import')");
                using var store = MerxStores.Open(dbPath!);
                stats = DatasetStats.Compute(store.LoadDataset(), store.ListImports().Sum(i => i.Skipped));
            }
            Print(stats);
            if (parse.GetValue(json) is { } jsonPath) File.WriteAllText(jsonPath, stats.ToJson());
            return 0;
        }));
        return command;
    }

    private static void Print(DatasetStats s)
    {
        Console.WriteLine($"users          {s.Users,14:N0}");
        Console.WriteLine($"items          {s.Items,14:N0}   (catalog entries: {s.CatalogItems:N0})");
        Console.WriteLine($"events         {s.Events,14:N0}");
        foreach (var kind in EventKinds.All)
            if (s.EventsByKind[(int)kind] > 0) Console.WriteLine($"  {kind.ToWireName(),-12} {s.EventsByKind[(int)kind],14:N0}");
        Console.WriteLine($"skipped lines  {s.SkippedLines,14:N0}");
        var q = s.SequenceLengthQuantiles;
        Console.WriteLine($"sequence length  min {q[0]}, p25 {q[1]}, median {q[2]}, p75 {q[3]}, p90 {q[4]}, max {q[5]}, mean {s.MeanSequenceLength:F2}");
        Console.WriteLine($"sparsity       {s.Sparsity,14:P4}");
    }
}
