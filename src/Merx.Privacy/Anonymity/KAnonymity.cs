namespace Merx.Privacy.Anonymity;

/// <summary>What a k-anonymity check withheld. Never holds the suppressed counts themselves.</summary>
/// <param name="K">Threshold: segments with fewer than K distinct people are withheld.</param>
/// <param name="Released">Segments released.</param>
/// <param name="SuppressedBelowK">Segments withheld because they had fewer than K people.</param>
/// <param name="SuppressedSecondary">Segments at or above K withheld so the small ones cannot be recovered by subtracting from a released total.</param>
/// <param name="SuppressedKeys">Keys of all withheld segments (segment definitions, not people), in ascending key order.</param>
public sealed record KAnonymityReport<TKey>(int K, int Released, int SuppressedBelowK, int SuppressedSecondary, IReadOnlyList<TKey> SuppressedKeys)
{
    /// <summary>True when nothing had to be withheld.</summary>
    public bool NothingSuppressed => SuppressedKeys.Count == 0;
}

/// <summary>Result of checking quasi-identifier rows (one row per person).</summary>
/// <param name="K">Threshold.</param>
/// <param name="Rows">Rows checked.</param>
/// <param name="Groups">Distinct quasi-identifier combinations.</param>
/// <param name="SmallestGroup">Size of the smallest group (0 when there are no rows).</param>
/// <param name="GroupsBelowK">Combinations shared by fewer than K people.</param>
/// <param name="RowsInGroupsBelowK">People in those combinations (re-identifiable by their attributes).</param>
public sealed record QuasiIdentifierReport(int K, int Rows, int Groups, int SmallestGroup, int GroupsBelowK, int RowsInGroupsBelowK)
{
    /// <summary>True when every combination is shared by at least K people.</summary>
    public bool IsKAnonymous => GroupsBelowK == 0;
}

/// <summary>
/// The k-anonymity gate every per-segment figure passes before it leaves Merx (audience sizes,
/// profiles by attribute, counts by category): a segment describing fewer than k distinct people is
/// withheld, since a figure about 2 people describes those 2 people. Counts must be of distinct
/// people, not events. Default k = 10.
/// </summary>
public static class KAnonymity
{
    /// <summary>Default threshold.</summary>
    public const int DefaultK = 10;

    /// <summary>
    /// Splits segment → distinct-people counts into those that may be released and a report of what was
    /// withheld. With <paramref name="secondarySuppression"/> (default), when the withheld segments
    /// together hold fewer than k people, the smallest released segments are withheld too until they
    /// hold at least k, so a released grand total minus the released segments cannot reveal a small one.
    /// </summary>
    public static (Dictionary<TKey, long> Released, KAnonymityReport<TKey> Report) Filter<TKey>(
        IReadOnlyDictionary<TKey, long> peoplePerSegment, int k = DefaultK, bool secondarySuppression = true) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(peoplePerSegment);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be ≥ 1");
        var released = new Dictionary<TKey, long>();
        var suppressed = new List<TKey>();
        long suppressedPeople = 0;
        foreach (var (key, count) in peoplePerSegment)
        {
            if (count < 0) throw new ArgumentException($"segment {key}: negative count {count}", nameof(peoplePerSegment));
            if (count == 0) continue; // an empty segment describes nobody; it is neither released nor a secret
            if (count < k) { suppressed.Add(key); suppressedPeople += count; }
            else released[key] = count;
        }
        var belowK = suppressed.Count;
        if (secondarySuppression && belowK > 0)
        {
            var bySize = released.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key, KeyOrder<TKey>()).Select(kv => kv.Key).ToList();
            var next = 0;
            while (suppressedPeople < k && next < bySize.Count)
            {
                var key = bySize[next++];
                suppressedPeople += released[key];
                released.Remove(key);
                suppressed.Add(key);
            }
        }
        suppressed.Sort(KeyOrder<TKey>());
        return (released, new KAnonymityReport<TKey>(k, released.Count, belowK, suppressed.Count - belowK, suppressed));
    }

    // Keys sort by their own order when they have one, otherwise by their text, so any key type works.
    private static Comparer<TKey> KeyOrder<TKey>() where TKey : notnull =>
        typeof(IComparable<TKey>).IsAssignableFrom(typeof(TKey)) || typeof(IComparable).IsAssignableFrom(typeof(TKey))
            ? Comparer<TKey>.Default
            : Comparer<TKey>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));

    /// <summary>
    /// Checks rows of quasi-identifiers (one row per person, e.g. [age band, postcode prefix, gender])
    /// for k-anonymity: every combination must be shared by at least k rows. Values compare ordinally;
    /// a null value is its own category.
    /// </summary>
    public static QuasiIdentifierReport Check(IEnumerable<IReadOnlyList<string?>> rows, int k = DefaultK)
    {
        var groups = Group(rows, k, out var n);
        var sizes = groups.Values;
        var small = sizes.Where(s => s < k).ToArray();
        return new QuasiIdentifierReport(k, n, groups.Count, sizes.Count == 0 ? 0 : sizes.Min(), small.Length, small.Sum());
    }

    /// <summary>The rows whose combination is shared by at least k rows (the others withheld), and the check report.</summary>
    public static (List<IReadOnlyList<string?>> Kept, QuasiIdentifierReport Report) Suppress(IEnumerable<IReadOnlyList<string?>> rows, int k = DefaultK)
    {
        var all = rows.ToList();
        var groups = Group(all, k, out _);
        var kept = all.Where(r => groups[Key(r)] >= k).ToList();
        return (kept, Check(all, k));
    }

    private static Dictionary<string, int> Group(IEnumerable<IReadOnlyList<string?>> rows, int k, out int n)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be ≥ 1");
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        n = 0;
        int? width = null;
        foreach (var r in rows)
        {
            width ??= r.Count;
            if (r.Count != width) throw new ArgumentException($"row {n} has {r.Count} quasi-identifiers, the first had {width}");
            var key = Key(r);
            groups[key] = groups.GetValueOrDefault(key) + 1;
            n++;
        }
        return groups;
    }

    // Length-prefixed so ["a|b", "c"] and ["a", "b|c"] differ; null is "-" (no length).
    private static string Key(IReadOnlyList<string?> r) => string.Concat(r.Select(v => v is null ? "-;" : $"{v.Length}:{v};"));
}
