using System.Collections.Concurrent;
using Merx.Storage;

namespace Merx.Service.Users;

/// <summary>
/// One customer across platforms (issue 22): the ids linked to a user (the app's device id, the web shop's
/// account), remembered per id so a request does not read the store. The store records every link change in
/// the user change feed, whichever replica made it, and <see cref="UserLifecycle"/> hands the changed users to
/// <see cref="Relink"/> before the next answer: a link made at one replica is in the next answer of every other.
/// Deletions and renames drop the groups that hold the user. Thread-safe.
/// </summary>
public sealed class UserLinks(IUserStore store) : IUserStateHolder
{
    /// <summary>Most groups kept; past it the memory starts over (a miss costs one store read).</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Members> _groups = new(StringComparer.Ordinal);
    private long _generation;
    private int _misses; // groups read from the store since the memory last started over

    /// <summary>The ids of <paramref name="user"/>'s group in ordinal order, itself included (just the user when it is not linked).</summary>
    public IReadOnlyList<string> Group(string user)
    {
        if (_groups.TryGetValue(user, out var cached)) return cached.Ids;
        var generation = Interlocked.Read(ref _generation);
        var group = new Members(store.LinkedUsers(user));
        // Counted, not asked: ConcurrentDictionary.Count takes every one of its locks.
        if (Interlocked.Increment(ref _misses) > Capacity) { _groups.Clear(); Interlocked.Exchange(ref _misses, 0); }
        // A change applied while the store was read bumps the generation: the group read may predate it, so it is not kept.
        if (Interlocked.Read(ref _generation) == generation) _groups[user] = group;
        if (Interlocked.Read(ref _generation) != generation) _groups.TryRemove(user, out _);
        return group.Ids;
    }

    /// <summary>Links two stored ids (pseudonyms); returns the group. The change reaches every replica through the feed.</summary>
    public IReadOnlyList<string> Link(string user, string other) => store.LinkUsers(user, other);

    /// <summary>Takes a stored id out of its group; returns the ids it was linked to.</summary>
    public IReadOnlyList<string> Unlink(string user) => store.UnlinkUser(user);

    /// <summary>Links two of the shop's ids, pseudonymized by <paramref name="ids"/> (re-keyed first during a key rotation); returns the group.</summary>
    public IReadOnlyList<string> LinkShopIds(Privacy.UserIds ids, string user, string other)
    {
        ids.Rekey([user, other]);
        return Link(ids.ToStored(user), ids.ToStored(other));
    }

    /// <summary>Takes one of the shop's ids out of its group (pseudonymized as in <see cref="LinkShopIds"/>); returns the ids it was linked to.</summary>
    public IReadOnlyList<string> UnlinkShopId(Privacy.UserIds ids, string user)
    {
        ids.Rekey([user]);
        return Unlink(ids.ToStored(user));
    }

    public void Relink(UserSet users) => Drop(users.ContainsHash);

    public void Forget(UserSet users) => Drop(users.ContainsHash);

    public void Rename(UserRenames renames) => Drop(_ => true);

    public void ForgetAll() => Drop(_ => true);

    private void Drop(Func<long, bool> named)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (user, group) in _groups)
            if (group.Hashes.Any(named)) _groups.TryRemove(user, out _);
    }

    private sealed class Members(IReadOnlyList<string> members)
    {
        public IReadOnlyList<string> Ids { get; } = members;
        public long[] Hashes { get; } = members.Select(UserIdHash.Of).ToArray();
    }
}
