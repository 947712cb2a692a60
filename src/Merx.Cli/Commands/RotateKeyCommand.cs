using System.CommandLine;
using System.Text.Json;
using Merx.Privacy.Pseudonymization;
using Merx.Service.Privacy;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx rotate-key`: moves a store to a new pseudonymization key. Lazily: run Merx with the new key in
/// MERX_PSEUDONYM_KEY and the old one in MERX_PSEUDONYM_OLD_KEYS, and users are renamed as they come
/// back; <c>--status</c> says how many are still under each older key. Eagerly: pseudonyms cannot be
/// inverted, so the shop lists its user ids (one per line); with <c>--new-key-file</c> each listed
/// user's pseudonym under the store's key (or an older key of a lazy rotation) is renamed to the new
/// key's, in one transaction that also records the new key's fingerprint; without it, the listed users
/// of a lazy rotation are moved to the current key now (the others stay lazy). Then the file is rebuilt
/// so the old pseudonyms leave no bytes behind. Users missing from the list keep pseudonyms that only
/// the old key reaches.
/// </summary>
internal static class RotateKeyCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var ids = new Option<string?>("--ids") { Description = "file with the user ids the shop knows, one per line" };
        var newKey = new Option<string?>("--new-key-file") { Description = "file with the new key ([vN:]secret, a higher version than the store's key); generated (mode 0600) when it does not exist. Without it, --ids moves the listed users of a lazy rotation (MERX_PSEUDONYM_OLD_KEYS) to the current key" };
        var status = new Option<bool>("--status") { Description = "report how many users are still under each older key (no key needed)" };
        var json = Cli.Json();
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("rotate-key", "Move a store to a new pseudonymization key: --status shows a lazy rotation's progress; --ids (with --new-key-file) renames every listed user at once, records the new key's fingerprint and rebuilds the file. Then run Merx with MERX_PSEUDONYM_KEY set to the new key.")
        {
            db, ids, newKey, status, json, keyFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path!)) throw new FileNotFoundException($"no store at {path}");
            if (parse.GetValue(status))
            {
                if (parse.GetValue(ids) is not null || parse.GetValue(newKey) is not null) throw new ArgumentException("--status reports only; give it without --ids and --new-key-file");
                return Status(path, parse.GetValue(json));
            }
            var idsFile = parse.GetValue(ids) ?? throw new ArgumentException("give --ids FILE (with --new-key-file to rotate at once, or alone to finish a lazy rotation), or --status");
            if (!File.Exists(idsFile)) throw new FileNotFoundException($"--ids: no file at {idsFile}");
            var listed = File.ReadLines(idsFile).Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
            return parse.GetValue(newKey) is { } newPath ? Eager(path, listed, newPath, parse.GetValue(keyFile)) : Finish(path, listed, parse.GetValue(keyFile));
        }));
        return command;
    }

    private static int Status(string path, string? jsonPath)
    {
        using var store = MerxStores.Open(path);
        var fingerprint = store.GetSetting(PseudonymKeys.FingerprintSetting);
        var version = RotationStatus.VersionOfFingerprint(fingerprint) ?? 0;
        var s = RotationStatus.Of(store, version);
        var retired = PseudonymKeys.RetiredKeys(store);
        Console.WriteLine($"key          {fingerprint ?? "(none recorded)"}");
        Console.WriteLine($"retired      {(retired.Count == 0 ? "(none)" : string.Join(", ", retired))}");
        Console.WriteLine($"users under the current key v{version}: {s.CurrentUsers:N0}");
        foreach (var (v, users) in s.Older) Console.WriteLine($"users under older key v{v}: {users:N0}");
        if (s.NewerOrOther > 0) Console.WriteLine($"users under no known key version (demo, legacy or newer): {s.NewerOrOther:N0}");
        Console.WriteLine(s.Remaining == 0
            ? "rotation complete: no user is under an older key; drop MERX_PSEUDONYM_OLD_KEYS and destroy the old keys"
            : $"rotation in progress: {s.Remaining:N0} users still under older keys; keep them in MERX_PSEUDONYM_OLD_KEYS (or finish now with 'merx rotate-key --db {path} --ids FILE')");
        if (jsonPath is not null)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["key"] = fingerprint, ["retired"] = retired, ["current_version"] = version, ["current_users"] = s.CurrentUsers,
                ["older"] = s.Older.ToDictionary(v => $"v{v.Version}", v => v.Users), ["remaining"] = s.Remaining, ["other_users"] = s.NewerOrOther,
            }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    // A lazy rotation finished early for the listed users: renamed from any older key to the current one.
    private static int Finish(string path, string[] listed, string? keyFile)
    {
        var (opened, userIds) = CliPrivacy.OpenForLookup(path, keyFile);
        using var store = opened;
        using var ids = userIds;
        if (ids?.Rekeying is not { } rekeying)
            throw new ArgumentException($"no rotation to finish: give the store's older keys in {PseudonymKey.OldKeysEnvironmentVariable}, or --new-key-file to rotate to a new key at once");
        ids.Rekey(listed);
        Cli.Progress.Report($"rotate-key: rebuilding {path} so that the old pseudonyms leave no bytes behind");
        store.EraseFreedSpace(rebuild: true);
        var left = RotationStatus.Of(store, ids.Key.Version).Remaining;
        Console.WriteLine($"moved {rekeying.Counters.Renamed:N0} of {listed.Length:N0} listed users to key {ids.Key.Fingerprint} (the others were current already or had nothing stored); {left:N0} users remain under older keys");
        return 0;
    }

    private static int Eager(string path, string[] listed, string newPath, string? keyFile)
    {
        var old = PseudonymKeys.Resolve(path, KeyUse.Read, keyFile: keyFile);
        var next = File.Exists(newPath) ? PseudonymKeys.ReadKeyFile(newPath) : PseudonymKeys.WriteKeyFile(newPath, old.Key.Version + 1);
        if (next.Version <= old.Key.Version) throw new ArgumentException($"--new-key-file: the new key must have a higher version than the store's key (v{old.Key.Version}); write it as v{old.Key.Version + 1}:secret");
        if (old.OldKeys.Any(k => k.Version == next.Version)) throw new ArgumentException($"--new-key-file: v{next.Version} is the version of a key in {PseudonymKey.OldKeysEnvironmentVariable}; give the new key a higher one");
        using var store = MerxStores.Open(path);
        PseudonymKeys.Bind(store, old);
        // A lazy rotation in progress is finished for the listed users first, so every listed user is under the store's key.
        using (var ids = new UserIds(old.Key, old.OldKeys, store)) ids.Rekey(listed);
        using var from = new Pseudonymizer(old.Key);
        using var to = new Pseudonymizer(next);
        var map = Pseudonymizer.RotationMap(listed, from, to);
        var retiredText = store.GetSetting(PseudonymKeys.RetiredSetting);
        var renamed = store.RenameUsers(map, (PseudonymKeys.FingerprintSetting, old.Key.Fingerprint, next.Fingerprint));
        var fingerprint = old.Key.Fingerprint;
        if (!store.ReplaceSettings([new Merx.Storage.SettingSwap(PseudonymKeys.RetiredSetting, retiredText, retiredText is null ? fingerprint : retiredText + "," + fingerprint)]))
            Console.Error.WriteLine($"WARNING: another writer changed {PseudonymKeys.RetiredSetting} meanwhile; {fingerprint} was not recorded as retired");
        Cli.Progress.Report($"rotate-key: rebuilding {path} so that the old pseudonyms leave no bytes behind");
        store.EraseFreedSpace(rebuild: true);
        if (string.Equals(old.Source, PseudonymKeys.DefaultKeyFile(path), StringComparison.Ordinal))
        {
            // Development mode: the store's key file follows the store, so the old key is retired with it.
            File.Copy(newPath, old.Source, overwrite: true);
            Console.WriteLine($"the development key file {old.Source} now holds the new key");
        }
        var left = RotationStatus.Of(store, next.Version).Remaining;
        Console.WriteLine($"rotated {path} from key {old.Key.Fingerprint} to {next.Fingerprint}: {renamed:N0} of {listed.Length:N0} listed users renamed " +
                          $"(the others had nothing stored). From now on set {PseudonymKey.EnvironmentVariable} to the key in {newPath}, and destroy the old key" +
                          (left > 0 ? $" once no user remains under it ({left:N0} unlisted users do: keep it in {PseudonymKey.OldKeysEnvironmentVariable} to rename them lazily)" : "") + ".");
        return 0;
    }
}
