using System.CommandLine;
using System.Diagnostics;
using Merx.Core.Domain;
using Merx.Core.Import;
using Merx.Storage.Sqlite;

namespace Merx.Cli.Commands;

/// <summary>`merx import`: loads a data set into the SQLite store, reporting what was accepted and what was skipped.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var db = Cli.Db();
        var strict = Cli.Strict();
        var map = Cli.Map();
        var command = new Command("import", "Import a catalog and behaviour log (or a public data set) into the store. Bad lines are skipped and counted (the first few with line numbers and reasons); --strict aborts and stores nothing.")
        {
            data, format, db, strict, map,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var options = Cli.ImportOptions(parse.GetValue(strict), parse.GetValue(map));
            var path = parse.GetValue(data)!;
            var source = DataSources.Open(path, parse.GetValue(format), options);
            if (options.Strict)
            {
                // A strict import stores nothing unless every line is good, so check all lines first.
                var check = new ImportReport(options);
                foreach (var _ in source.ReadItems(check)) { }
                foreach (var _ in source.ReadUsers(check)) { }
                foreach (var _ in source.ReadEvents(check)) { }
            }
            var report = new ImportReport(options);
            var clock = Stopwatch.StartNew();
            using var store = SqliteStore.Open(parse.GetValue(db)!);
            var items = store.UpsertItems(source.ReadItems(report));
            var users = store.UpsertUsers(source.ReadUsers(report));
            var eventClock = Stopwatch.StartNew();
            var batch = store.AppendEvents(WithProgress(source.ReadEvents(report)));
            var eventSeconds = eventClock.Elapsed.TotalSeconds;
            store.RecordImport(Path.GetFullPath(path), source.Format, report.ToString(), batch.Events, report.SkippedLines);
            Console.WriteLine($"imported {source.Format} from {path}: {items:N0} items, {users:N0} user profiles, {batch.Events:N0} events " +
                              $"({batch.NewUsers:N0} new users, {batch.NewItems:N0} new items) in {clock.Elapsed.TotalSeconds:F1} s " +
                              $"({batch.Events / Math.Max(eventSeconds, 1e-9):N0} events/s)");
            Console.WriteLine(report);
            return 0;
        }));
        return command;
    }

    private static IEnumerable<RawEvent> WithProgress(IEnumerable<RawEvent> events)
    {
        var n = 0L;
        foreach (var e in events)
        {
            if (++n % 1_000_000 == 0) Cli.Progress.Report($"import: {n:N0} events");
            yield return e;
        }
    }
}
