using System.CommandLine;
using System.Diagnostics;
using Merx.Core.Domain;
using Merx.Core.Import;
using Merx.Privacy.Scrubbing;
using Merx.Service.Catalog;
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
        var command = new Command("import", "Import a catalog and behaviour log (or a public data set) into the store. User ids are stored as keyed HMAC-SHA256 pseudonyms (MERX_PSEUDONYM_KEY) and personal data in user attributes, queries and sessions is scrubbed (counts printed). Bad lines are skipped and counted (the first few with line numbers and reasons); --strict aborts and stores nothing. An item may name an image file (field 'image', relative to the data folder): it is decoded and embedded once per content; a missing or refused image is reported for its item and the import goes on (--strict: aborts, nothing stored).")
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
                if (source is IItemImageSource named && ItemImageVectors.FirstRefused(named.ReadItemImages()) is { } refused)
                    throw new ImportException(new ImportProblem(refused.Image.File, refused.Image.Line, $"image of item '{refused.Image.ItemId}' ({refused.Image.Field}): {refused.Reason}"));
            }
            var report = new ImportReport(options);
            var clock = Stopwatch.StartNew();
            var (opened, userIds) = CliPrivacy.Open(parse.GetValue(db)!, KeyUse.Write, parse.GetValue(keyFile));
            using var store = opened;
            using var ids = userIds;
            // Item images (issue #19): encoded before anything is written; a refused image costs its item only its image
            // (a strict import checked them all above, and stops here only if the encoder cannot load).
            var imageRefs = (source as IItemImageSource)?.ReadItemImages().ToList() ?? [];
            using var imageVectors = imageRefs.Count > 0 ? new ItemImageVectors(store) : null;
            var images = imageVectors?.EncodeFiles(imageRefs, Cli.Progress);
            if (options.Strict && images is { Refused: [var (first, why), ..] })
                throw new ImportException(new ImportProblem(first.File, first.Line, $"image of item '{first.ItemId}' ({first.Field}): {why}"));
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
            var linked = images is null ? 0 : imageVectors!.Store(images);
            var imageReport = images is null ? "" : "\n" + ImageReport(images, linked, options.MaxReportedProblems);
            store.RecordImport(Path.GetFullPath(path), source.Format, report + imageReport + $"\nprivacy: user ids pseudonymized (key {ids.Key.Fingerprint}); personal data {scrub}", batch.Events, report.SkippedLines);
            Console.WriteLine($"imported {source.Format} from {path}: {items:N0} items, {users:N0} user profiles, {batch.Events:N0} events " +
                              $"({batch.NewUsers:N0} new users, {batch.NewItems:N0} new items) in {clock.Elapsed.TotalSeconds:F1} s " +
                              $"({batch.Events / Math.Max(eventSeconds, 1e-9):N0} events/s)");
            Console.WriteLine(report);
            if (images is not null) Console.WriteLine(imageReport[1..]);
            Console.WriteLine($"privacy: user ids pseudonymized with key {ids.Key.Fingerprint}; personal data {scrub}" +
                              (scrub.DroppedKeys.Count > 0 ? $" (attributes dropped: {string.Join(", ", scrub.DroppedKeys)})" : ""));
            return 0;
        }));
        return command;
    }

    /// <summary>The images' line of the report, then one line per refused image (the first few, like skipped lines).</summary>
    private static string ImageReport(ItemImageVectors.FileImages images, int linked, int maxListed)
    {
        var sb = new System.Text.StringBuilder($"{images}; {linked:N0} items linked to their image");
        foreach (var (image, reason) in images.Refused.Take(maxListed))
            sb.Append($"\n  skipped image of item '{image.ItemId}' ({image.File}:{image.Line}, {image.Field}): {reason}");
        if (images.Refused.Count > maxListed) sb.Append($"\n  … and {images.Refused.Count - maxListed:N0} more");
        return sb.ToString();
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
