namespace Merx.Storage;

/// <summary>
/// The settings and experiments role: small named values several processes share and must agree
/// on. Text settings change only by claim or compare-and-swap (the pseudonymization key's
/// fingerprint: two processes must never write under different keys); state blobs are replaced
/// whole (experiment definitions, a bandit policy's posterior). A setting's value is non-empty
/// text that does not look like a number (such a value is an <see cref="ArgumentException"/>, in
/// every backend, because SQLite's untyped meta table would give it back as a number).
/// </summary>
public interface ISettingsStore
{
    /// <summary>A text setting of the store (e.g. the pseudonymization key's fingerprint), or null when unset.</summary>
    string? GetSetting(string key);

    /// <summary>
    /// Sets a text setting only if it is unset, atomically (two writers racing both see the winner's
    /// value). Returns the value the store holds afterwards.
    /// </summary>
    string ClaimSetting(string key, string value);

    /// <summary>Replaces a text setting only if it still holds <paramref name="expected"/> (compare and swap). Returns whether it did.</summary>
    bool ReplaceSetting(string key, string expected, string value);

    /// <summary>
    /// Several compare-and-swaps of text settings in one transaction: all are applied, or (when any
    /// setting no longer holds its expected value) none. Returns whether they were applied.
    /// </summary>
    bool ReplaceSettings(IReadOnlyList<SettingSwap> swaps);

    /// <summary>Stores an opaque state blob under a key (replacing it), e.g. a bandit policy's posterior.</summary>
    void PutState(string key, byte[] value);

    /// <summary>The blob stored under a key, or null.</summary>
    byte[]? GetState(string key);
}
