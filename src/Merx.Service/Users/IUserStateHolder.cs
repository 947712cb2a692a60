namespace Merx.Service.Users;

/// <summary>
/// Anything that keeps per-user state in memory (the history cache, the policy's recent feedback,
/// experiment tallies, the served-list buffer). It registers with <see cref="UserLifecycle"/>, which
/// tells it of every deletion and rename of a user made by any process, before the next answer.
/// Users are matched by <see cref="Storage.UserIdHash"/>: the store's change feed keeps no forgotten id.
/// </summary>
public interface IUserStateHolder
{
    /// <summary>Writes what the holder buffers for the store, so that a deletion that follows covers it (most buffer nothing).</summary>
    void FlushUserWrites() { }

    /// <summary>Drops every state kept for a user in <paramref name="users"/> (they were deleted).</summary>
    void Forget(UserSet users);

    /// <summary>Moves the state of renamed users to their new ids, and drops what is kept under a new id (it was stored under the old one).</summary>
    void Rename(UserRenames renames);

    /// <summary>The links of these users changed (issue 22: linked to or unlinked from other ids of one person); only holders of link groups care.</summary>
    void Relink(UserSet users) { }

    /// <summary>Drops every per-user state: changes were missed (the feed was pruned past this process's position).</summary>
    void ForgetAll();
}
