using System.CommandLine;
using Merx.Service.Privacy;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>
/// The pseudonymization key for commands that touch a store (see <see cref="PseudonymKeys"/> for the
/// policy): the option naming a key file, and opening a store bound to its key.
/// </summary>
internal static class CliPrivacy
{
    public static Option<string?> KeyFile() => new("--pseudonym-key-file")
    {
        Description = "file holding the pseudonymization key ([vN:]secret, mode 0600); default: MERX_PSEUDONYM_KEY, else the development key file <db>.pseudonym.key",
    };

    /// <summary>
    /// Resolves the key for <paramref name="db"/>, opens the store and checks (or, on first use, records)
    /// the key's fingerprint. A brand-new store is one whose file does not exist yet or that holds
    /// neither a recorded key nor any user.
    /// </summary>
    public static (IMerxStore Store, UserIds Ids) Open(string db, KeyUse use, string? keyFile)
    {
        if (use == KeyUse.Read) throw new ArgumentException("use OpenForLookup for commands that only look users up", nameof(use));
        var key = PseudonymKeys.Resolve(db, use, keyFile: keyFile, storeIsNew: () => IsNew(db));
        var store = MerxStores.Open(db);
        try
        {
            PseudonymKeys.Bind(store, key);
            return (store, new UserIds(key.Key, key.OldKeys, store));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing store for a command that only looks users up (recommend, forget): with its key
    /// when it records one (a different key is refused); a store written before pseudonymization records
    /// none, and its ids are then used as given (null ids, with a warning), so its users can still be
    /// found and forgotten. Never records a key.
    /// </summary>
    public static (IMerxStore Store, UserIds? Ids) OpenForLookup(string db, string? keyFile)
    {
        var store = MerxStores.Open(db);
        try
        {
            if (store.GetSetting(PseudonymKeys.FingerprintSetting) is null)
            {
                Console.Error.WriteLine($"WARNING: {db} records no pseudonymization key: its user ids were stored as given, and are looked up as given");
                return (store, null);
            }
            var key = PseudonymKeys.Resolve(db, KeyUse.Read, keyFile: keyFile);
            PseudonymKeys.Bind(store, key);
            return (store, new UserIds(key.Key, key.OldKeys, store));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static bool IsNew(string db)
    {
        if (!MerxStores.Exists(db)) return true;
        using var store = MerxStores.Open(db);
        return store.GetSetting(PseudonymKeys.FingerprintSetting) is null && store.GetStats().Users == 0;
    }
}
