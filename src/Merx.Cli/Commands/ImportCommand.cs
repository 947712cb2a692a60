using System.CommandLine;
using System.Diagnostics;
using Merx.Core.Domain;
using Merx.Core.Import;
using Merx.Privacy.Scrubbing;
using Merx.Service.Privacy;

namespace Merx.Cli.Commands;

/// <summary>`merx import`: loads a data set into the SQLite store, reporting what was accepted and what was skipped.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var db = Cli.Db(creates: true);
        var strict = Cli.Strict();
        var map = Cli.Map();
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("import", "Import a catalog and behaviour log (or a public data set) into the store. User ids are stored as keyed HMAC-SHA256 pseudonyms (MERX_PSEUDONYM_KEY) and personal data in user attributes, queries and sessions is scrubbed (counts printed). Bad lines are skipped and counted (the first few with line numbers and reasons); --strict aborts and stores nothing.")
        {
            data, format, db, strict, map, keyFile,
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
            var (opened, userIds) = CliPrivacy.Open(parse.GetValue(db)!, KeyUse.Write, parse.GetValue(keyFile));
            using var store = opened;
            using var ids = userIds;
            var privacy = new IngestPrivacy(ids);
            var scrub = new ScrubReport();
            if (privacy.Rekeying)
            {
                // Lazy key rotation: returning users are renamed to their current pseudonym before the
                // streamed writes below (which run inside the store's transaction), in a first pass over the input.
                Cli.Progress.Report("import: key rotation in progress: renaming returning users to the current key");
                var (renamedBefore, _) = ids.Rekeying!.Counters;
                privacy.Rekey(source.ReadUsers(new ImportReport(options)));
                privacy.Rekey(source.ReadEvents(new ImportReport(options)));
                Console.WriteLine($"key rotation: {ids.Rekeying.Counters.Renamed - renamedBefore:N0} returning users renamed to the current key");
            }
            var items = store.UpsertItems(source.ReadItems(report));
            var users = store.UpsertUsers(privacy.Users(source.ReadUsers(report), scrub));
            var eventClock = Stopwatch.StartNew();
            var batch = store.AppendEvents(privacy.Events(WithProgress(source.ReadEvents(report)), scrub));
            var eventSeconds = eventClock.Elapsed.TotalSeconds;
            store.RecordImport(Path.GetFullPath(path), source.Format, report + $"\nprivacy: user ids pseudonymized (key {ids.Key.Fingerprint}); personal data {scrub}", batch.Events, report.SkippedLines);
            Console.WriteLine($"imported {source.Format} from {path}: {items:N0} items, {users:N0} user profiles, {batch.Events:N0} events " +
                              $"({batch.NewUsers:N0} new users, {batch.NewItems:N0} new items) in {clock.Elapsed.TotalSeconds:F1} s " +
                              $"({batch.Events / Math.Max(eventSeconds, 1e-9):N0} events/s)");
            Console.WriteLine(report);
            Console.WriteLine($"privacy: user ids pseudonymized with key {ids.Key.Fingerprint}; personal data {scrub}" +
                              (scrub.DroppedKeys.Count > 0 ? $" (attributes dropped: {string.Join(", ", scrub.DroppedKeys)})" : ""));
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
