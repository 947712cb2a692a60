namespace Merx.Storage;

/// <summary>
/// When a store reports a write as done (and the server acknowledges it). <see cref="Full"/> is the
/// default: an acknowledged event survives a power cut or an operating-system crash. <see cref="Normal"/>
/// survives a crash of the process only; a power cut may lose the commits since the last checkpoint.
/// On SQLite these are <c>PRAGMA synchronous=FULL</c> and <c>NORMAL</c> in WAL mode; concurrent event
/// appends share one commit (group commit), so a full sync costs one fsync per group, not per request
/// (bench/results/trust.md measures both).
/// </summary>
public enum Durability
{
    /// <summary>Every commit is synced to the disk before it returns.</summary>
    Full,
    /// <summary>Commits reach the operating system; the disk is synced at checkpoints.</summary>
    Normal,
}

/// <summary>Parsing of the <c>--durability</c> value.</summary>
public static class DurabilityNames
{
    /// <summary>The accepted values, for help texts.</summary>
    public const string Accepted = "full (default: acknowledged writes survive a power cut) or normal (survive a process crash only)";

    public static Durability Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "full" => Durability.Full,
        "normal" => Durability.Normal,
        _ => throw new ArgumentException($"unknown durability '{value}': give {Accepted}"),
    };
}
