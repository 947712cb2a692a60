using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// Interned events in columnar arrays (struct-of-arrays), in the order they were added. All
/// arrays have length <see cref="Count"/>; <see cref="Session"/> is -1 where no session is known.
/// </summary>
public sealed class EventLog
{
    public EventLog(int[] user, int[] item, EventKind[] kind, long[] timestamp, float[] value, int[] session)
    {
        var n = user.Length;
        if (item.Length != n || kind.Length != n || timestamp.Length != n || value.Length != n || session.Length != n)
            throw new ArgumentException("all event columns must have the same length");
        User = user; Item = item; Kind = kind; Timestamp = timestamp; Value = value; Session = session;
    }

    public int Count => User.Length;
    public int[] User { get; }
    /// <summary>Item index, or -1 for events without an item (searches).</summary>
    public int[] Item { get; }
    public EventKind[] Kind { get; }
    /// <summary>Unix seconds (or sequence position for clockless data).</summary>
    public long[] Timestamp { get; }
    public float[] Value { get; }
    public int[] Session { get; }

    public static EventLog Empty { get; } = new([], [], [], [], [], []);

    /// <summary>Events per kind.</summary>
    public long[] CountByKind()
    {
        var counts = new long[EventKinds.Count];
        foreach (var k in Kind) counts[(int)k]++;
        return counts;
    }

    /// <summary>A new log with the events at <paramref name="keep"/> (in that order).</summary>
    public EventLog Select(ReadOnlySpan<int> keep)
    {
        var n = keep.Length;
        var u = new int[n]; var it = new int[n]; var k = new EventKind[n]; var t = new long[n]; var v = new float[n]; var s = new int[n];
        for (var i = 0; i < n; i++)
        {
            var j = keep[i];
            u[i] = User[j]; it[i] = Item[j]; k[i] = Kind[j]; t[i] = Timestamp[j]; v[i] = Value[j]; s[i] = Session[j];
        }
        return new EventLog(u, it, k, t, v, s);
    }
}
