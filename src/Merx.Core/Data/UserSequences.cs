using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// Per-user, time-ordered item sequences in CSR form: user u's events are
/// <c>Items[Offsets[u]..Offsets[u+1]]</c>, oldest first. Only events with an item are kept.
/// This is what the sequential Transformer reads and what leave-one-out splits cut.
/// </summary>
public sealed class UserSequences
{
    public UserSequences(int itemCount, int[] offsets, int[] items, long[] timestamps, EventKind[] kinds)
    {
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != items.Length)
            throw new ArgumentException("offsets must start at 0 and end at the item count", nameof(offsets));
        if (timestamps.Length != items.Length || kinds.Length != items.Length)
            throw new ArgumentException("items, timestamps and kinds must have the same length");
        ItemCount = itemCount; Offsets = offsets; Items = items; Timestamps = timestamps; Kinds = kinds;
    }

    public int UserCount => Offsets.Length - 1;
    public int ItemCount { get; }
    public int EventCount => Items.Length;
    public int[] Offsets { get; }
    public int[] Items { get; }
    public long[] Timestamps { get; }
    public EventKind[] Kinds { get; }

    public ReadOnlySpan<int> ItemsOf(int user) => Items.AsSpan(Offsets[user], Offsets[user + 1] - Offsets[user]);
    public ReadOnlySpan<long> TimestampsOf(int user) => Timestamps.AsSpan(Offsets[user], Offsets[user + 1] - Offsets[user]);
    public ReadOnlySpan<EventKind> KindsOf(int user) => Kinds.AsSpan(Offsets[user], Offsets[user + 1] - Offsets[user]);
    public int LengthOf(int user) => Offsets[user + 1] - Offsets[user];

    /// <summary>
    /// Whether the timestamps are clock times (Unix seconds after 1973) rather than positions in the sequence
    /// (Amazon S3-Rec, lists): time-based features (bursts, account age) mean something only then.
    /// </summary>
    public bool HasRealClock
    {
        get
        {
            foreach (var t in Timestamps) if (t >= 100_000_000) return true;
            return false;
        }
    }

    /// <summary>
    /// Groups a log by user, ordering each user's events by timestamp; equal timestamps keep the
    /// log's order (stable). Events without an item are left out.
    /// </summary>
    public static UserSequences FromLog(EventLog log, int userCount, int itemCount)
    {
        var counts = new int[userCount + 1];
        for (var i = 0; i < log.Count; i++)
            if (log.Item[i] >= 0) counts[log.User[i] + 1]++;
        for (var u = 0; u < userCount; u++) counts[u + 1] += counts[u];
        var offsets = (int[])counts.Clone();
        var order = new int[offsets[userCount]];
        var cursor = (int[])counts.Clone();
        for (var i = 0; i < log.Count; i++)
            if (log.Item[i] >= 0) order[cursor[log.User[i]]++] = i;
        var ts = log.Timestamp;
        for (var u = 0; u < userCount; u++)
        {
            var span = order.AsSpan(offsets[u], offsets[u + 1] - offsets[u]);
            if (!IsSortedByTime(span, ts)) StableSortByTime(span, ts);
        }
        var items = new int[order.Length]; var times = new long[order.Length]; var kinds = new EventKind[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            var j = order[i];
            items[i] = log.Item[j]; times[i] = ts[j]; kinds[i] = log.Kind[j];
        }
        return new UserSequences(itemCount, offsets, items, times, kinds);
    }

    /// <summary>Builds sequences directly from per-user item lists (timestamps = positions, kind = view).</summary>
    public static UserSequences FromLists(IReadOnlyList<IReadOnlyList<int>> lists, int itemCount)
    {
        var offsets = new int[lists.Count + 1];
        for (var u = 0; u < lists.Count; u++) offsets[u + 1] = offsets[u] + lists[u].Count;
        var items = new int[offsets[^1]]; var times = new long[items.Length];
        for (var u = 0; u < lists.Count; u++)
            for (var i = 0; i < lists[u].Count; i++)
            {
                var item = lists[u][i];
                if ((uint)item >= (uint)itemCount) throw new ArgumentOutOfRangeException(nameof(lists), $"item {item} is outside 0..{itemCount - 1}");
                items[offsets[u] + i] = item; times[offsets[u] + i] = i;
            }
        return new UserSequences(itemCount, offsets, items, times, new EventKind[items.Length]);
    }

    private static bool IsSortedByTime(ReadOnlySpan<int> idx, long[] ts)
    {
        for (var i = 1; i < idx.Length; i++)
            if (ts[idx[i]] < ts[idx[i - 1]]) return false;
        return true;
    }

    private static void StableSortByTime(Span<int> idx, long[] ts)
    {
        // Indices within a user are increasing (log order), so sorting by (time, index) is stable.
        var keys = new (long Time, int Index)[idx.Length];
        for (var i = 0; i < idx.Length; i++) keys[i] = (ts[idx[i]], idx[i]);
        Array.Sort(keys);
        for (var i = 0; i < idx.Length; i++) idx[i] = keys[i].Index;
    }
}
