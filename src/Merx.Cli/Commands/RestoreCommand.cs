using System.CommandLine;
using Merx.Service.Privacy;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx restore`: puts a backup in place as a store (<see cref="Storage.Sqlite.SqliteBackup.Restore"/>). It is
/// refused while another process has the store open, because a running server would go on writing to the
/// replaced file and lose those writes; the server is stopped first and started on the restored store.
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "the backup file (written by 'merx backup')", Required = true };
        var db = Cli.Db(creates: true);
        db.Description = "the store file to restore into (created; an existing store is replaced only with --force)";
        var force = new Option<bool>("--force") { Description = "replace an existing store" };
        var command = new Command("restore", "Restore a backup into a store: the backup is checked (PRAGMA integrity_check, a Merx store, schema version not newer than this Merx), copied beside the store, synced and renamed over it; the store's stale -wal/-shm files are removed. Refused while another process (a running 'merx serve') has the store open: stop the server, restore, start it again.")
        {
            from, db, force,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            var result = MerxStores.Restore(parse.GetValue(from)!, path, parse.GetValue(force), BackupCommand.Progress("restore"));
            Console.WriteLine($"restored {parse.GetValue(from)} into {result.Path}: {result.Bytes:N0} bytes, schema version {result.SchemaVersion}, integrity ok, in {result.Elapsed.TotalSeconds:F1} s");
            using var store = MerxStores.Open(path);   // applies pending migrations, as a server starting on it would
            if (store.SchemaVersion != result.SchemaVersion) Console.WriteLine($"migrated the restored store from schema version {result.SchemaVersion} to {store.SchemaVersion}");
            if (store.GetSetting(PseudonymKeys.FingerprintSetting) is { } key)
                Console.WriteLine($"the store's user ids are pseudonyms under key {key}: serve it with that key (MERX_PSEUDONYM_KEY or --pseudonym-key-file); the backup holds no key");
            return 0;
        }));
        return command;
    }
}
