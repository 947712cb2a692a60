using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// The users-and-keys role: profiles, deletion on request, and the renames a pseudonymization key
/// rotation needs (user ids are pseudonyms carrying their key's version). A user's data spans the
/// other roles (events, served lists, feedback), so deleting or renaming a user here reaches all of
/// them, in one transaction. The user endpoints, <c>merx forget</c> and key rotation need this role.
/// </summary>
public interface IUserStore
{
    /// <summary>Inserts or replaces user profiles by <see cref="UserProfile.Id"/>. Returns how many were written.</summary>
    int UpsertUsers(IEnumerable<UserProfile> users);

    /// <summary>
    /// Deletion on request: removes the user's events (with their sessions and queries), profile,
    /// served recommendations and feedback, and leaves no copy of them in the store: the SQLite
    /// backend overwrites deleted content (secure_delete is on for every write) and checkpoints and
    /// truncates the write-ahead log before returning. Returns how many events were removed (0 for an
    /// unknown user). See <see cref="EraseFreedSpace"/> for the stronger, slower rebuild.
    /// </summary>
    long DeleteUser(string userId);

    /// <summary>
    /// Gives renamed users their new id in one transaction (key rotation: old pseudonym → new
    /// pseudonym), in the user table, served lists and feedback. Pairs whose old id is unknown are
    /// skipped; a new id that already exists is an <see cref="ArgumentException"/> and nothing is renamed.
    /// With <paramref name="setting"/>, that setting is swapped (compare and swap, as
    /// <see cref="ISettingsStore.ReplaceSetting"/>) in the same transaction, and nothing is renamed when it no
    /// longer holds the expected value (<see cref="InvalidOperationException"/>). Returns how many users were renamed.
    /// </summary>
    int RenameUsers(IReadOnlyDictionary<string, string> renames, (string Key, string Expected, string Value)? setting = null);

    /// <summary>
    /// Lazy key rotation: for each entry whose <see cref="UserRekey.Current"/> id the store does not know,
    /// renames the first of its <see cref="UserRekey.Older"/> ids that it knows to the current id (users,
    /// with their events, sessions and profile; served lists; feedback: what <see cref="RenameUsers"/>
    /// moves). Entries whose current id exists, or that have no stored older id, are left alone (a user
    /// under both ids keeps both). Costs only reads when nothing needs renaming; all renames of one call
    /// are one transaction. In the SQLite backend, like any update, the old ids' page images stay in the
    /// write-ahead log until the next checkpoint (renames trigger one at most once a second; deletion and
    /// closing the store always do). Returns the renames done (old id, new id).
    /// </summary>
    IReadOnlyList<(string From, string To)> RekeyUsers(IReadOnlyList<UserRekey> users);

    /// <summary>
    /// Users per id prefix: the text up to and including the first '_' (pseudonyms carry their key's
    /// version, <c>p1_</c>, <c>p2_</c>, <c>demo_</c>), or "" for ids without one. Tells how many users a
    /// key rotation still has to move.
    /// </summary>
    IReadOnlyDictionary<string, long> UsersByIdPrefix();

    /// <summary>
    /// Distinct users per value of one profile attribute (users whose profile lacks it are not counted):
    /// the raw figures behind a "users by attribute" view, to pass through a k-anonymity gate before release.
    /// </summary>
    IReadOnlyDictionary<string, long> UsersByAttribute(string attribute);

    /// <summary>
    /// Links two ids of one person (issue 22: an app's device id and the web shop's account): their groups
    /// become one group of at most <see cref="UserLinkRules.MaxGroup"/> ids. From then on the group is one
    /// user in <see cref="IEventStore.LoadDataset"/> (named by its member with the lowest key, the id the store
    /// saw first); serving reads the histories of every member (<see cref="LinkedUsers"/>). Ids not yet known are
    /// created (with no events). Every member of the resulting group is recorded in the change feed
    /// (<see cref="UserChangeKind.Relinked"/>) in the same transaction. Linking an id to itself, an empty id, or a
    /// group that would grow past the limit is an <see cref="ArgumentException"/> and nothing is written.
    /// Links follow a rename (key rotation) and are dropped with a deleted id. Returns the group, ids in ordinal order.
    /// </summary>
    IReadOnlyList<string> LinkUsers(string userId, string otherId);

    /// <summary>
    /// Takes <paramref name="userId"/> out of its group (a group left with one id is dissolved), recording every
    /// former member in the change feed. Returns the ids it was linked to (ordinal order; empty when it was not linked).
    /// </summary>
    IReadOnlyList<string> UnlinkUser(string userId);

    /// <summary>The ids of <paramref name="userId"/>'s group in ordinal order, itself included; just <paramref name="userId"/> when it is not linked.</summary>
    IReadOnlyList<string> LinkedUsers(string userId);

    /// <summary>
    /// Makes sure nothing deleted survives anywhere in the storage: the SQLite backend checkpoints and
    /// truncates the write-ahead log and, with <paramref name="rebuild"/>, rebuilds the database (VACUUM:
    /// time and temporary disk proportional to the store's size). Used after deletions (<c>merx forget</c>)
    /// and key rotations; every live row stays.
    /// </summary>
    void EraseFreedSpace(bool rebuild);
}
