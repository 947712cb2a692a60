using Merx.Service.Privacy;
using Merx.Storage;

namespace Merx.Service.Users;

/// <summary>
/// Forgetting and renaming users, in one place for every host (the server's DELETE, <c>merx forget</c>,
/// lazy key rotation). Every holder of per-user state in memory registers here (<see cref="Register"/>).
/// Changes are not fanned out by hand: the store records each deletion and rename in its change feed
/// (<see cref="IUserChangeFeed"/>) in the same transaction, whichever process made it, and
/// <see cref="CatchUp"/> applies the changes this process has not seen to every holder. A host calls
/// <see cref="CatchUp"/> before every answer (the server does it in a middleware), so a user forgotten
/// or renamed by another process or replica is never answered from stale state; its own changes take
/// the same path. The check is cheap when nothing changed: one read of the store's change version
/// (on SQLite, PRAGMA data_version on a connection of its own), the feed itself only when it moved.
/// Thread-safe.
/// </summary>
public sealed class UserLifecycle
{
    /// <summary>Changes read from the feed per store call.</summary>
    public const int PageSize = 10_000;

    private readonly IUserStore _users;
    private readonly IUserChangeFeed _feed;
    private readonly UserIds? _ids;
    private readonly Lock _gate = new();
    private IUserStateHolder[] _holders = [];
    private long _version, _seen;

    /// <param name="store">The store deleted from and renamed in, and whose change feed is followed.</param>
    /// <param name="ids">The service's user ids: deletion covers every key of the ring, and lazy renames are applied at once; null for stores without pseudonyms (ids are used as given).</param>
    public UserLifecycle(IMerxStore store, UserIds? ids = null) : this(store, store, ids) { }

    /// <param name="users">The users role deleted from.</param>
    /// <param name="feed">The change feed of the same store, followed for changes by other processes.</param>
    /// <param name="ids">As in <see cref="UserLifecycle(IMerxStore, UserIds?)"/>.</param>
    public UserLifecycle(IUserStore users, IUserChangeFeed feed, UserIds? ids = null)
    {
        _users = users ?? throw new ArgumentNullException(nameof(users));
        _feed = feed ?? throw new ArgumentNullException(nameof(feed));
        _ids = ids;
        // The version first: a change recorded between the two reads then moves the version and is read again (applying is idempotent).
        _version = feed.UserChangeVersion();
        _seen = feed.LatestUserChange();
        if (ids?.Rekeying is { } rekeying) rekeying.Renamed += (_, _) => CatchUp();
    }

    /// <summary>Adds a holder of per-user state; returns it (for registration in a DI factory).</summary>
    public T Register<T>(T holder) where T : IUserStateHolder
    {
        ArgumentNullException.ThrowIfNull(holder);
        lock (_gate) _holders = [.. _holders, holder];
        return holder;
    }

    /// <summary>
    /// Forgets a user (right to be forgotten): the holders write what they buffer, the user is deleted
    /// from the store under every key of the ring (during a key rotation the user may still be stored
    /// under an older one) together with every id linked to it (issue 22: the same person's other devices
    /// and accounts), and every holder drops them. Returns how many events were removed.
    /// </summary>
    public long Forget(string shopId)
    {
        ArgumentException.ThrowIfNullOrEmpty(shopId);
        var all = _ids?.AllStored(shopId) ?? [shopId];
        foreach (var holder in Volatile.Read(ref _holders)) holder.FlushUserWrites();
        var linked = new List<string>();
        foreach (var stored in all)
            foreach (var other in _users.LinkedUsers(stored))
                if (!all.Contains(other) && !linked.Contains(other)) linked.Add(other);
        long removed = 0;
        foreach (var stored in all.Concat(linked)) removed += _users.DeleteUser(stored);
        _ids?.Rekeying?.Forget(all[0]);
        CatchUp();
        return removed;
    }

    /// <summary>
    /// Applies to every holder the user changes recorded since the last call, by any process. Cheap
    /// when nothing changed (one version read); call it before answering.
    /// </summary>
    public void CatchUp()
    {
        if (Volatile.Read(ref _holders).Length == 0) return;
        lock (_gate)
        {
            var version = _feed.UserChangeVersion();
            if (version == _version) return;
            while (true)
            {
                var page = _feed.UserChangesAfter(_seen, PageSize);
                if (page.PrunedThrough > _seen)
                {
                    foreach (var holder in _holders) holder.ForgetAll();
                    _seen = page.PrunedThrough;
                }
                Apply(page.Changes);
                if (page.Changes.Count > 0) _seen = Math.Max(_seen, page.Changes[^1].Sequence);
                if (page.Changes.Count < PageSize) break;
            }
            _version = version;
        }
    }

    // Consecutive changes of one kind go to the holders together (one scan of their state per run), in feed order.
    private void Apply(IReadOnlyList<UserChange> changes)
    {
        var start = 0;
        for (var i = 1; i <= changes.Count; i++)
        {
            if (i < changes.Count && Class(changes[i]) == Class(changes[start])) continue;
            var run = changes.Skip(start).Take(i - start);
            if (changes[start].Kind == UserChangeKind.Relinked)
            {
                var users = new UserSet(run.Select(c => c.UserHash));
                foreach (var holder in _holders) holder.Relink(users);
            }
            else if (IsDeletion(changes[start]))
            {
                var users = new UserSet(run.Select(c => c.UserHash));
                foreach (var holder in _holders) holder.Forget(users);
            }
            else
            {
                var renames = new UserRenames(run.Select(c => (c.UserHash, c.NewId!)));
                foreach (var holder in _holders) holder.Rename(renames);
            }
            start = i;
        }
    }

    private static int Class(UserChange c) => c.Kind == UserChangeKind.Relinked ? 2 : IsDeletion(c) ? 1 : 0;

    // A rename whose new id was deleted since carries no new id: the old id's state is dropped (the deletion follows).
    private static bool IsDeletion(UserChange c) => c.Kind == UserChangeKind.Deleted || c.NewId is null;
}
