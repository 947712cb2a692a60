using System.CommandLine;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx backup`: an online backup of a store (<see cref="Storage.Sqlite.SqliteBackup"/>). A `merx serve` on the
/// same file keeps serving and writing meanwhile; the backup is the snapshot of the moment it began, checked
/// before it is renamed into place.
/// </summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var output = new Option<string>("--out") { Description = "the backup file (written as OUT.tmp, checked, synced, then renamed to OUT)", Required = true };
        var force = new Option<bool>("--force") { Description = "replace an existing OUT" };
        var command = new Command("backup", "Back up a store while it is in use: a running 'merx serve' keeps serving and writing, and the backup holds the store as it was when the backup began (writes made meanwhile are wholly out). The copy is checked (PRAGMA integrity_check, schema version) before it replaces OUT. The pseudonymization key is not in the backup: keep it (MERX_PSEUDONYM_KEY or its key file) apart.")
        {
            db, output, force,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            var result = MerxStores.Backup(path, parse.GetValue(output)!, parse.GetValue(force), Progress("backup"));
            Console.WriteLine($"backed up {path} to {result.Path}: {result.Bytes:N0} bytes, schema version {result.SchemaVersion}, integrity ok, in {result.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    /// <summary>Copy progress on stderr in steps of 10 %, for stores of 64 MiB and more (a smaller copy takes well under a second).</summary>
    internal static IProgress<BackupProgress> Progress(string verb) => new CopyProgress(verb);

    private sealed class CopyProgress(string verb) : IProgress<BackupProgress>
    {
        private const long MinBytes = 64L << 20;
        private int _lastTenth;

        public void Report(BackupProgress value)
        {
            if (value.BytesTotal < MinBytes || value.PagesTotal == 0) return;
            var tenth = (int)(10 * value.PagesCopied / value.PagesTotal);
            if (tenth <= _lastTenth) return;
            _lastTenth = tenth;
            Cli.Progress.Report($"{verb}: {10 * tenth}% ({value.BytesCopied >> 20:N0} of {value.BytesTotal >> 20:N0} MiB)");
        }
    }
}
