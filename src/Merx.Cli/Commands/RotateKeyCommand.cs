using System.CommandLine;
using Merx.Privacy.Pseudonymization;
using Merx.Server.Privacy;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx rotate-key`: moves a store to a new pseudonymization key. Pseudonyms cannot be inverted, so
/// the shop lists its user ids (one per line); each listed user's pseudonym under the store's key is
/// renamed to the new key's, in one transaction that also records the new key's fingerprint, and the
/// file is rebuilt so the old pseudonyms leave no bytes behind. Users missing from the list keep
/// pseudonyms nobody can reach any more (the shop should list every customer id it has).
/// </summary>
internal static class RotateKeyCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var ids = new Option<string>("--ids") { Description = "file with every user id the shop knows, one per line", Required = true };
        var newKey = new Option<string>("--new-key-file") { Description = "file with the new key ([vN:]secret, a higher version than the store's key); generated (mode 0600) when it does not exist", Required = true };
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("rotate-key", "Move a store to a new pseudonymization key: rename every listed user's pseudonym, record the new key's fingerprint, rebuild the file. Then run Merx with MERX_PSEUDONYM_KEY set to the new key.")
        {
            db, ids, newKey, keyFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"no store at {path}");
            var idsFile = parse.GetValue(ids)!;
            if (!File.Exists(idsFile)) throw new FileNotFoundException($"--ids: no file at {idsFile}");
            var old = PseudonymKeys.Resolve(path, KeyUse.Read, keyFile: parse.GetValue(keyFile));
            var newPath = parse.GetValue(newKey)!;
            var next = File.Exists(newPath) ? PseudonymKeys.ReadKeyFile(newPath) : PseudonymKeys.WriteKeyFile(newPath, old.Key.Version + 1);
            if (next.Version <= old.Key.Version) throw new ArgumentException($"--new-key-file: the new key must have a higher version than the store's key (v{old.Key.Version}); write it as v{old.Key.Version + 1}:secret");
            using var store = Merx.Storage.Sqlite.SqliteStore.Open(path);
            PseudonymKeys.Bind(store, old.Key, old.Source);
            using var from = new Pseudonymizer(old.Key);
            using var to = new Pseudonymizer(next);
            var listed = File.ReadLines(idsFile).Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
            var map = Pseudonymizer.RotationMap(listed, from, to);
            var renamed = store.RenameUsers(map, (PseudonymKeys.FingerprintSetting, old.Key.Fingerprint, next.Fingerprint));
            Cli.Progress.Report($"rotate-key: rebuilding {path} so that the old pseudonyms leave no bytes behind");
            store.EraseFreedSpace(rebuild: true);
            if (string.Equals(old.Source, PseudonymKeys.DefaultKeyFile(path), StringComparison.Ordinal))
            {
                // Development mode: the store's key file follows the store, so the old key is retired with it.
                File.Copy(newPath, old.Source, overwrite: true);
                Console.WriteLine($"the development key file {old.Source} now holds the new key");
            }
            Console.WriteLine($"rotated {path} from key {old.Key.Fingerprint} to {next.Fingerprint}: {renamed:N0} of {listed.Length:N0} listed users renamed " +
                              $"(the others had nothing stored). From now on set {PseudonymKey.EnvironmentVariable} to the key in {newPath}, and destroy the old key.");
            return 0;
        }));
        return command;
    }
}
