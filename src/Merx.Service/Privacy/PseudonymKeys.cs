using Merx.Privacy.Pseudonymization;
using Merx.Storage;

namespace Merx.Service.Privacy;

/// <summary>Who asks for the pseudonymization key: decides which fallbacks are allowed when no key is configured.</summary>
public enum KeyUse
{
    /// <summary><c>merx demo</c>: may always generate a key file beside the store.</summary>
    Demo,
    /// <summary><c>merx serve</c>: the key file beside the store only on a loopback bind; never generates one.</summary>
    Serve,
    /// <summary><c>merx import</c> and other writers: the key file beside the store; generates one only for a brand-new store.</summary>
    Write,
    /// <summary>Commands that only look users up (<c>merx recommend</c>, <c>merx forget</c>, <c>merx pseudonym</c>): never generate.</summary>
    Read,
}

/// <summary>The key a command or the server runs with, and where it came from (for messages; never the secret).</summary>
/// <param name="Generated">True when this call created the key file (development mode).</param>
public sealed record ResolvedKey(PseudonymKey Key, IReadOnlyList<PseudonymKey> OldKeys, string Source, bool Generated);

/// <summary>
/// The key policy of issue #7. A key comes, in this order, from key text a host sets in code
/// (<see cref="MerxServerOptions.PseudonymKey"/>: tests and embedding hosts; no command-line flag or
/// configuration key sets it), a key file named with <c>--pseudonym-key-file</c>, the
/// environment (<c>MERX_PSEUDONYM_KEY</c>), or — development and demo mode only — the key file beside
/// the store (<c>&lt;db&gt;.pseudonym.key</c>, mode 0600). That file is used by the server only on a
/// loopback bind, and is generated only by <c>merx demo</c> or by a writer creating a brand-new store
/// (with a warning). Otherwise the command refuses with <see cref="MissingKeyMessage"/>. The store
/// records its key's <see cref="PseudonymKey.Fingerprint"/> on first use (<c>Bind</c>), and
/// every later writer must present the same key, or, to rotate, a newer key with the store's key among
/// the older ones (<c>MERX_PSEUDONYM_OLD_KEYS</c>; see <see cref="RetiredSetting"/>).
/// </summary>
public static partial class PseudonymKeys
{
    /// <summary>The store setting holding the key fingerprint.</summary>
    public const string FingerprintSetting = "pseudonym_key";

    /// <summary>
    /// The development key file of a store: beside a SQLite file; for a PostgreSQL database, which has no
    /// folder of its own, under <c>~/.merx/</c> named by host, port and database (never by the password).
    /// </summary>
    public static string DefaultKeyFile(string db) => StoreLocation.Parse(db) switch
    {
        PostgresLocation pg => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".merx",
            System.Text.RegularExpressions.Regex.Replace($"{pg.Host}-{pg.Port}-{pg.Database}", "[^A-Za-z0-9._-]", "_") + ".pseudonym.key"),
        _ => Path.GetFullPath(db) + ".pseudonym.key",
    };

    public static string MissingKeyMessage(string db) =>
        $"no pseudonymization key: set {PseudonymKey.EnvironmentVariable} to a secret of at least {PseudonymKey.MinSecretLength} characters " +
        $"(e.g. `export {PseudonymKey.EnvironmentVariable}=\"v1:$(openssl rand -base64 48)\"`) or pass --pseudonym-key-file; " +
        $"the development key file {DefaultKeyFile(db)} is used only on a loopback address, and is generated only for a brand-new store or by 'merx demo'";

    /// <summary>
    /// Finds the key for <paramref name="db"/> under the policy above. <paramref name="storeIsNew"/> says
    /// whether the store has neither a recorded key nor any user (asked only when generating is considered).
    /// Throws <see cref="InvalidOperationException"/> with <see cref="MissingKeyMessage"/> when no key may be used.
    /// Older keys of a rotation come from <paramref name="configuredOldKeys"/> or <c>MERX_PSEUDONYM_OLD_KEYS</c>
    /// (a malformed list is a <see cref="FormatException"/> naming the entry).
    /// </summary>
    public static ResolvedKey Resolve(string db, KeyUse use, string? configuredKey = null, string? keyFile = null, bool loopback = true,
        Func<bool>? storeIsNew = null, Action<string>? warn = null, Func<string, string?>? environment = null, string? configuredOldKeys = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        warn ??= Console.Error.WriteLine;
        // Older keys first: a malformed list must fail before anything (a development key file) is written.
        var old = string.IsNullOrWhiteSpace(configuredOldKeys)
            ? PseudonymKey.ResolveOldKeys(environment)
            : PseudonymKey.ParseList(configuredOldKeys, "configured older pseudonymization keys");
        var resolved = ResolveCurrent(db, use, configuredKey, keyFile, loopback, storeIsNew, warn, environment);
        if (old.FirstOrDefault(k => k.Version == resolved.Key.Version) is { } clash)
            throw new InvalidOperationException($"{PseudonymKey.OldKeysEnvironmentVariable} holds a v{clash.Version} key, the version of the current key: every key of a rotation needs its own version (the new key a higher one)");
        if (old.Any(k => k.IsDemo) || (resolved.Key.IsDemo && old.Count > 0))
            throw new InvalidOperationException("the demo key takes no part in key rotation");
        return resolved with { OldKeys = old };
    }

    private static ResolvedKey ResolveCurrent(string db, KeyUse use, string? configuredKey, string? keyFile, bool loopback,
        Func<bool>? storeIsNew, Action<string> warn, Func<string, string?> environment)
    {
        IReadOnlyList<PseudonymKey> old = [];
        if (!string.IsNullOrWhiteSpace(configuredKey)) return new(PseudonymKey.Parse(configuredKey, "configured pseudonymization key"), old, "configuration", false);
        if (!string.IsNullOrWhiteSpace(keyFile))
        {
            if (!File.Exists(keyFile)) throw new InvalidOperationException($"--pseudonym-key-file: no file at {keyFile}");
            return new(ReadKeyFile(keyFile, warn), old, keyFile, false);
        }
        if (environment(PseudonymKey.EnvironmentVariable) is { Length: > 0 } env && !string.IsNullOrWhiteSpace(env))
            return new(PseudonymKey.Parse(env, PseudonymKey.EnvironmentVariable), old, PseudonymKey.EnvironmentVariable, false);
        var local = DefaultKeyFile(db);
        var allowLocal = use != KeyUse.Serve || loopback;
        if (allowLocal && File.Exists(local)) return new(ReadKeyFile(local, warn), old, local, false);
        var generate = use == KeyUse.Demo || (use == KeyUse.Write && (storeIsNew?.Invoke() ?? !MerxStores.Exists(db)));
        if (!generate)
            throw new InvalidOperationException(use == KeyUse.Serve && !loopback
                ? $"refusing to serve on a non-loopback address without a pseudonymization key: set {PseudonymKey.EnvironmentVariable} (or --pseudonym-key-file) to the key this store was created with"
                : MissingKeyMessage(db));
        var key = WriteKeyFile(local);
        warn(use == KeyUse.Demo
            ? $"demo mode: user ids are pseudonymized with a key generated in {local} (set {PseudonymKey.EnvironmentVariable} for production)"
            : $"WARNING: development mode: no {PseudonymKey.EnvironmentVariable} set, so this new store's user ids are pseudonymized with a key generated in {local} (mode 0600). " +
              $"Keep that file with the store; for production set {PseudonymKey.EnvironmentVariable} instead.");
        return new(key, old, local, true);
    }

    /// <summary>Reads a key file (<c>[v{N}:]secret</c>, surrounding whitespace ignored), warning when others may read it.</summary>
    public static PseudonymKey ReadKeyFile(string path, Action<string>? warn = null)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            (warn ?? Console.Error.WriteLine)($"WARNING: the pseudonymization key file {path} is readable by other users; run chmod 600 {path}");
        return PseudonymKey.Parse(File.ReadAllText(path), path);
    }

    /// <summary>Creates a key file with a fresh random key, readable and writable by its owner only (0600); never overwrites one.</summary>
    public static PseudonymKey WriteKeyFile(string path, int version = 1)
    {
        var text = PseudonymKey.GenerateText(version);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using (var w = new StreamWriter(new FileStream(path, options))) w.WriteLine(text);
        return PseudonymKey.Parse(text, path);
    }
}
