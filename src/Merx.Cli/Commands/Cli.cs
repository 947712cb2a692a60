using System.CommandLine;
using Merx.Core.Import;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>Options shared by several commands, and the one place that turns failures into exit codes.</summary>
internal static class Cli
{
    public static Option<string> Data(bool required = true) => new("--data")
    {
        Description = "a data set folder or file (Amazon S3-Rec, MovieLens, Taobao UserBehavior, generic CSV/JSONL)",
        Required = required,
    };

    public static Option<string?> Format() => new Option<string?>("--format")
    {
        Description = "amazon | movielens | taobao | csv | jsonl (detected from the files when omitted)",
    }.AcceptOnlyFromAmong("amazon", "movielens", "taobao", "csv", "jsonl");

    /// <summary>
    /// The store option. Its value is checked before the command runs (<see cref="MerxStores.Locate"/>), so a
    /// value this build cannot open (postgres://…, redis://…) fails with one clear line and creates nothing.
    /// <paramref name="creates"/>: whether the command creates a missing store (import) or refuses one.
    /// </summary>
    public static Option<string> Db(bool required = true, bool creates = false)
    {
        var option = new Option<string>("--db")
        {
            Description = creates
                ? "the store: a SQLite file (created if missing) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (the password may come from PGPASSWORD)"
                : "the store: a SQLite file (must exist: create one with 'merx import') or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
            Required = required,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } db) return;
            try { MerxStores.Locate(db); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException) { result.AddError(e.Message); }
        });
        return option;
    }

    public static Option<int> Seed() => new("--seed") { Description = "random seed (every run is deterministic per seed)", DefaultValueFactory = _ => 42 };

    /// <summary>`--max-epochs`: epochs per fit at most (the Transformer's plain training), so a run does not depend on the machine's load.</summary>
    public static Option<int?> MaxEpochs() => new("--max-epochs") { Description = "epochs per fit at most (the Transformer); a run that does not depend on the machine's load" };

    /// <summary>The value of <see cref="MaxEpochs"/>, checked.</summary>
    public static int? MaxEpochs(ParseResult parse, Option<int?> option) =>
        parse.GetValue(option) is { } n ? n >= 1 ? n : throw new ArgumentException("--max-epochs must be at least 1") : null;

    public static Option<string?> Json() => new("--json") { Description = "also write the figures as JSON to this file" };

    public static Option<string?> Map() => new("--map")
    {
        Description = "column mapping for generic CSV/JSONL, e.g. user=customer_id,item=sku,kind=event,timestamp=ts",
    };

    public static Option<bool> Strict() => new("--strict") { Description = "abort on the first bad line and store nothing (default: skip and count bad lines)" };

    public static Merx.Core.Import.ImportOptions ImportOptions(bool strict, string? map) =>
        new() { Strict = strict, ColumnMapping = map is null ? Merx.Core.Import.ImportOptions.Default.ColumnMapping : Merx.Core.Import.ImportOptions.ParseMapping(map) };

    /// <summary>
    /// Loads a data set for a command that measures on it (evaluate, tune, attack): progress line, bad lines skipped and
    /// their report printed to stderr.
    /// </summary>
    public static Merx.Core.Data.Dataset LoadDataset(string command, string path, string? format, string? map)
    {
        var options = ImportOptions(false, map);
        var report = new ImportReport(options);
        Progress.Report($"{command}: reading {path}");
        var dataset = DatasetLoader.Load(DataSources.Open(path, format, options), report);
        if (report.SkippedLines > 0) Console.Error.WriteLine(report);
        return dataset;
    }

    /// <summary>Runs a command body, printing expected failures as one clear line (exit 1) instead of a stack trace.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ImportException or IOException or InvalidDataException or ArgumentException or FormatException or InvalidOperationException or UnauthorizedAccessException or Merx.Encoders.EncoderUnavailableException)
        {
            Console.Error.WriteLine($"merx: {e.Message}");
            return 1;
        }
    }

    /// <summary>Progress lines to stderr, so stdout stays clean for tables.</summary>
    public static IProgress<string> Progress { get; } = new ConsoleProgress();

    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine(value);
    }
}
