namespace Merx.Ranking.Pipeline;

/// <summary>
/// One spare dictionary per thread and type, for the scratch maps a request fills and drops (the fusion's and item-kNN's
/// accumulators were a quarter of a request's allocations at 1M items, bench/results/serving-scale.md). <see cref="Take"/>
/// hands out the thread's spare, or a new one, and no other caller gets it until <see cref="Return"/>: a nested use gets its
/// own. A returned map is cleared, so it holds nothing of its request, and one that grew past 65,536 entries is let go.
/// </summary>
internal static class ThreadScratch<TKey, TValue> where TKey : notnull
{
    [ThreadStatic] private static Dictionary<TKey, TValue>? t_spare;

    /// <summary>An empty dictionary with room for <paramref name="capacity"/> entries.</summary>
    public static Dictionary<TKey, TValue> Take(int capacity)
    {
        var map = t_spare;
        t_spare = null;
        if (map is null) return new Dictionary<TKey, TValue>(capacity);
        map.EnsureCapacity(capacity);
        return map;
    }

    /// <summary>Gives a dictionary from <see cref="Take"/> back to this thread, cleared.</summary>
    public static void Return(Dictionary<TKey, TValue> map)
    {
        if (map.EnsureCapacity(0) > 65_536) return;
        map.Clear();
        t_spare = map;
    }
}
