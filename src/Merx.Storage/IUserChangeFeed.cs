using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Merx.Storage;

/// <summary>
/// The store's record of changes to users (issue 16): every deletion and every rename (a key
/// rotation, eager or lazy) is written here with a sequence number in the same transaction as the
/// change itself, by whichever process made it. Each process (server replica, worker) reads the
/// changes it has not seen and applies them to its in-memory per-user state before its next answer,
/// so a user forgotten or renamed by another process is not served from a stale cache. Old entries
/// are pruned (see <see cref="UserChangePage.PrunedThrough"/> for a reader that fell behind).
/// <para>
/// A change names the old id only by <see cref="UserIdHash"/>, a one-way hash: a forgotten user
/// leaves no copy of their id in the store. Holders match the ids they keep by the same hash.
/// </para>
/// <para>
/// The store also guards the one write that could race a deletion made elsewhere:
/// <see cref="IMerxStore.RecordServed"/> leaves out a list whose user was deleted after the list was
/// served (a process that flushes its buffer late must not bring a forgotten user back).
/// </para>
/// </summary>
public interface IUserChangeFeed
{
    /// <summary>
    /// A cheap token for "has anything changed": two equal values mean no user change was recorded in
    /// between, by this store or by any other writer; a different value says one may have been (the
    /// SQLite store answers with PRAGMA data_version of a connection of its own, which moves on every
    /// commit by any other connection). Read it before every answer and read the feed only when it moved.
    /// </summary>
    long UserChangeVersion();

    /// <summary>The sequence number of the newest recorded change (0 when none): where a new reader starts.</summary>
    long LatestUserChange();

    /// <summary>
    /// Changes with a sequence number greater than <paramref name="after"/>, oldest first, at most
    /// <paramref name="limit"/> (≥ 1), and how far the feed has been pruned: a reader whose position is
    /// below <see cref="UserChangePage.PrunedThrough"/> missed changes.
    /// </summary>
    UserChangePage UserChangesAfter(long after, int limit);
}

/// <summary>What a recorded change did to a user.</summary>
public enum UserChangeKind
{
    /// <summary>The user was deleted on request (forgotten).</summary>
    Deleted = 1,

    /// <summary>The user was renamed (key rotation: old pseudonym → new pseudonym).</summary>
    Renamed = 2,

    /// <summary>The user's links changed (linked to, or unlinked from, other ids of the same person; issue 22): holders of the user's groups drop them.</summary>
    Relinked = 3,
}

/// <summary>
/// One recorded change. <see cref="UserHash"/> is <see cref="UserIdHash.Of"/> of the old id.
/// <see cref="NewId"/> is the new id of a rename (an id the store holds anyway), null for a deletion and
/// also for a rename whose new id was deleted since (then a <see cref="UserChangeKind.Deleted"/> change follows).
/// </summary>
public readonly record struct UserChange(long Sequence, UserChangeKind Kind, long UserHash, string? NewId);

/// <summary>
/// A page of the change feed. <see cref="PrunedThrough"/>: the highest sequence number pruned (0 when
/// none); a reader positioned below it missed changes, so its per-user state must start over.
/// </summary>
public sealed record UserChangePage(IReadOnlyList<UserChange> Changes, long PrunedThrough);

/// <summary>
/// The one-way hash the change feed names users by: the first 8 bytes of SHA-256 of the id's UTF-8
/// bytes, read big-endian as a signed 64-bit integer. One home for it, used by the store to record
/// and by the holders of per-user state to match (a collision only makes a holder drop one more user's state).
/// </summary>
public static class UserIdHash
{
    /// <summary>The hash of <paramref name="id"/> (a pseudonym).</summary>
    public static long Of(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(id);
        SHA256.HashData(bytes, digest);
        return BinaryPrimitives.ReadInt64BigEndian(digest);
    }
}
