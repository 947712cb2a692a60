namespace Merx.Storage;

/// <summary>The rules every backend applies to user links (<see cref="IUserStore.LinkUsers"/>), in one place.</summary>
public static class UserLinkRules
{
    /// <summary>Most ids in one group: a person's devices and accounts, not a household or a shop's staff account.</summary>
    public const int MaxGroup = 32;

    /// <summary>Throws <see cref="ArgumentException"/> when the two ids cannot be linked.</summary>
    public static void CheckPair(string userId, string otherId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(otherId);
        if (string.Equals(userId, otherId, StringComparison.Ordinal)) throw new ArgumentException("a user cannot be linked to itself", nameof(otherId));
    }

    /// <summary>Throws when a merge would make a group of <paramref name="size"/> ids; nothing is written.</summary>
    public static void CheckSize(long size)
    {
        if (size > MaxGroup) throw new ArgumentException($"linking would make a group of {size} ids; at most {MaxGroup} ids can be linked; nothing was linked");
    }
}
