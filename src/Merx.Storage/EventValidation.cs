using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>The one rule set every backend applies before it writes an event.</summary>
public static class EventValidation
{
    /// <summary>Null when <paramref name="e"/> can be stored, else why not.</summary>
    public static string? Problem(in RawEvent e)
    {
        if (string.IsNullOrEmpty(e.User)) return "the user id is missing";
        if ((uint)e.Kind >= EventKinds.Count) return $"unknown event kind {(int)e.Kind}";
        if (!float.IsFinite(e.Value)) return $"the value {e.Value} is not finite";
        if (Platforms.Problem(e.Platform) is { } platform) return platform;
        if (e.Item is null) return e.Kind == EventKind.Search ? null : $"a {e.Kind.ToWireName()} event needs an item";
        return e.Item.Length == 0 ? "the item id is empty" : null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the event's 0-based position in its batch.</summary>
    public static void Check(in RawEvent e, long position)
    {
        var problem = Problem(e);
        if (problem is not null)
            throw new ArgumentException($"event #{position} (user '{e.User}', item '{e.Item}') is invalid: {problem}; nothing from this batch was written", "events");
    }
}
