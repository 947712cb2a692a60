using Merx.Core.Data;

namespace Merx.Core.Preprocessing;

/// <summary>What one preprocessing step did.</summary>
public sealed record StepReport(string Step, long EventsBefore, long EventsAfter)
{
    public long Removed => EventsBefore - EventsAfter;
    public override string ToString() => $"{Step}: {EventsBefore:N0} → {EventsAfter:N0} events ({Removed:N0} removed)";
}

/// <summary>
/// Dataset-to-dataset cleaning steps, each returning a new <see cref="Dataset"/> and what it removed.
/// Missing item attributes are never filled in or defaulted: <see cref="ItemFeatures"/> gives an item
/// with no brand no brand feature (and so on), and models fall back to the item's id embedding and
/// its interactions. That is the policy for missing attributes.
/// </summary>
public static class Preprocess
{
    /// <summary>Drops exact duplicates: same user, item, kind and timestamp (the first one stays).</summary>
    public static (Dataset Data, StepReport Report) RemoveDuplicates(Dataset data)
    {
        var log = data.Events;
        var seen = new HashSet<(int, int, byte, long)>();
        var keep = new List<int>(log.Count);
        for (var i = 0; i < log.Count; i++)
            if (seen.Add((log.User[i], log.Item[i], (byte)log.Kind[i], log.Timestamp[i]))) keep.Add(i);
        return (With(data, log.Select(keep.ToArray())), new StepReport("dedupe", log.Count, keep.Count));
    }

    /// <summary>Orders the log by timestamp; events with equal timestamps keep their order (stable).</summary>
    public static Dataset Chronological(Dataset data)
    {
        var log = data.Events;
        var order = Enumerable.Range(0, log.Count).ToArray();
        var keys = (long[])log.Timestamp.Clone();
        var stable = new (long Time, int Index)[log.Count];
        for (var i = 0; i < stable.Length; i++) stable[i] = (keys[i], i);
        Array.Sort(stable);
        for (var i = 0; i < order.Length; i++) order[i] = stable[i].Index;
        return With(data, log.Select(order));
    }

    /// <summary>
    /// k-core: repeatedly drops users with fewer than <paramref name="minUser"/> item events and items
    /// with fewer than <paramref name="minItem"/>, until both hold; ids are re-densified (users and
    /// items left without events disappear from the maps).
    /// </summary>
    public static (Dataset Data, StepReport Report) KCore(Dataset data, int minUser, int minItem)
    {
        var log = data.Events;
        var alive = new bool[log.Count];
        for (var i = 0; i < log.Count; i++) alive[i] = log.Item[i] >= 0;
        while (true)
        {
            var userCount = new int[data.UserCount];
            var itemCount = new int[data.ItemCount];
            for (var i = 0; i < log.Count; i++)
                if (alive[i]) { userCount[log.User[i]]++; itemCount[log.Item[i]]++; }
            var changed = false;
            for (var i = 0; i < log.Count; i++)
                if (alive[i] && (userCount[log.User[i]] < minUser || itemCount[log.Item[i]] < minItem)) { alive[i] = false; changed = true; }
            if (!changed) break;
        }
        var builder = new DatasetBuilder();
        var itemAdded = new bool[data.ItemCount];
        var userAdded = new bool[data.UserCount];
        for (var i = 0; i < log.Count; i++)
        {
            if (!alive[i]) continue;
            if (!itemAdded[log.Item[i]] && data.Catalog[log.Item[i]] is { } item) builder.AddItem(item);
            if (!userAdded[log.User[i]] && data.Profiles[log.User[i]] is { } profile) builder.AddUser(profile);
            itemAdded[log.Item[i]] = userAdded[log.User[i]] = true;
        }
        var kept = 0L;
        for (var i = 0; i < log.Count; i++)
        {
            if (!alive[i]) continue;
            kept++;
            builder.AddEvent(new Domain.RawEvent(data.Users[log.User[i]], data.Items[log.Item[i]], log.Kind[i], log.Timestamp[i], log.Value[i], log.Session[i] < 0 ? null : "s" + log.Session[i]));
        }
        return (builder.Build(), new StepReport($"{minUser}/{minItem}-core", log.Count, kept));
    }

    /// <summary>
    /// Assigns sessions: a user's next event opens a new session when more than
    /// <paramref name="gap"/> passed since their previous one (default 30 minutes). Source session
    /// ids, where present, also split sessions.
    /// </summary>
    public static Dataset Sessionize(Dataset data, TimeSpan? gap = null)
    {
        var limit = (long)(gap ?? TimeSpan.FromMinutes(30)).TotalSeconds;
        var seq = Chronological(data);
        var log = seq.Events;
        var lastTime = new long[data.UserCount];
        var lastSource = new int[data.UserCount];
        var current = new int[data.UserCount];
        Array.Fill(current, -1);
        var sessions = new int[log.Count];
        var next = 0;
        for (var i = 0; i < log.Count; i++)
        {
            var u = log.User[i];
            if (current[u] < 0 || log.Timestamp[i] - lastTime[u] > limit || log.Session[i] != lastSource[u]) current[u] = next++;
            lastTime[u] = log.Timestamp[i];
            lastSource[u] = log.Session[i];
            sessions[i] = current[u];
        }
        return With(seq, new EventLog(log.User, log.Item, log.Kind, log.Timestamp, log.Value, sessions));
    }

    private static Dataset With(Dataset data, EventLog events) => new(data.Users, data.Items, data.Catalog, events, data.Profiles);
}
