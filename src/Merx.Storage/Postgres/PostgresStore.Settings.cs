namespace Merx.Storage.Postgres;

/// <summary>Text settings (claim and compare-and-swap) and state blobs.</summary>
public sealed partial class PostgresStore
{
    public string? GetSetting(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var c = Connect();
        return (string?)Scalar(c, null, "SELECT value FROM settings WHERE key = $1", key);
    }

    public string ClaimSetting(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        SettingValue.Check(value);
        using var c = Connect();
        // ON CONFLICT waits for a concurrent claimer's commit; the second statement then sees the winner.
        Exec(c, null, "INSERT INTO settings(key, value) VALUES($1, $2) ON CONFLICT (key) DO NOTHING", key, value);
        return (string)Scalar(c, null, "SELECT value FROM settings WHERE key = $1", key)!;
    }

    public bool ReplaceSetting(string key, string expected, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(expected);
        SettingValue.Check(value);
        using var c = Connect();
        return Exec(c, null, "UPDATE settings SET value = $1 WHERE key = $2 AND value = $3", value, key, expected) == 1;
    }

    public bool ReplaceSettings(IReadOnlyList<SettingSwap> swaps)
    {
        ArgumentNullException.ThrowIfNull(swaps);
        foreach (var s in swaps)
        {
            ArgumentNullException.ThrowIfNull(s);
            ArgumentException.ThrowIfNullOrEmpty(s.Key);
            SettingValue.Check(s.Value);
        }
        if (swaps.Select(s => s.Key).Distinct(StringComparer.Ordinal).Count() != swaps.Count) throw new ArgumentException("each setting may be swapped once per call", nameof(swaps));
        using var c = Connect();
        using var tx = c.BeginTransaction();
        foreach (var s in swaps)
        {
            var changed = s.Expected is null
                ? Exec(c, tx, "INSERT INTO settings(key, value) VALUES($1, $2) ON CONFLICT (key) DO NOTHING", s.Key, s.Value)
                : Exec(c, tx, "UPDATE settings SET value = $1 WHERE key = $2 AND value = $3", s.Value, s.Key, s.Expected);
            if (changed != 1) return false; // disposing the transaction rolls back the swaps already made
        }
        tx.Commit();
        return true;
    }

    public void PutState(string key, byte[] value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        using var c = Connect();
        Exec(c, null, "INSERT INTO state(key, value, updated_at) VALUES($1, $2, $3) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            key, value, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public byte[]? GetState(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        using var c = Connect();
        return Scalar(c, null, "SELECT value FROM state WHERE key = $1", key) as byte[];
    }
}
