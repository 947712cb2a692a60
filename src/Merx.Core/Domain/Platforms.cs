namespace Merx.Core.Domain;

/// <summary>
/// The platform an event came from (issue 22: one customer across the web shop, the app, a mini-program,
/// the physical store). A short label the shop chooses: 1–32 characters of lower-case ASCII letters,
/// digits, '-', '_' and '.', starting with a letter or digit ("web", "app", "mini-program", "store-12").
/// One home for the rule: the HTTP API, the importers and both stores check it here.
/// </summary>
public static class Platforms
{
    /// <summary>Longest platform label.</summary>
    public const int MaxLength = 32;

    /// <summary>Null when <paramref name="platform"/> is a valid label (or null: not given), else why not.</summary>
    public static string? Problem(string? platform)
    {
        if (platform is null) return null;
        if (platform.Length == 0) return "platform is empty (leave it out when not known)";
        if (platform.Length > MaxLength) return $"platform is longer than {MaxLength} characters";
        for (var i = 0; i < platform.Length; i++)
        {
            var c = platform[i];
            var ok = c is >= 'a' and <= 'z' or >= '0' and <= '9' || (i > 0 && c is '-' or '_' or '.');
            if (!ok)
                return $"platform '{platform}' is not a label: use 1–{MaxLength} lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (e.g. web, app, mini-program)";
        }
        return null;
    }
}
