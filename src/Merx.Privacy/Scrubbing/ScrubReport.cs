namespace Merx.Privacy.Scrubbing;

/// <summary>Kinds of personal data the scrubber recognizes.</summary>
public enum PiiKind { Email, Phone, CreditCard, Iban, IpAddress, StreetAddress, PersonName }

/// <summary>
/// What a scrub removed, by kind, as counts: attributes dropped because their key names personal data
/// (<see cref="Dropped"/>) and occurrences masked inside other values or free text
/// (<see cref="Masked"/>). Holds keys but never values. Accumulates over calls (one report per import
/// batch); not thread-safe.
/// </summary>
public sealed class ScrubReport
{
    private readonly int[] _dropped = new int[Enum.GetValues<PiiKind>().Length];
    private readonly int[] _masked = new int[Enum.GetValues<PiiKind>().Length];
    private readonly SortedSet<string> _droppedKeys = new(StringComparer.Ordinal);

    /// <summary>Attributes dropped, by kind.</summary>
    public IReadOnlyDictionary<PiiKind, int> Dropped => ToMap(_dropped);

    /// <summary>Occurrences masked inside values, by kind.</summary>
    public IReadOnlyDictionary<PiiKind, int> Masked => ToMap(_masked);

    /// <summary>Attribute keys that were dropped (keys only).</summary>
    public IReadOnlyCollection<string> DroppedKeys => _droppedKeys;

    /// <summary>Attributes dropped in total.</summary>
    public int TotalDropped => _dropped.Sum();

    /// <summary>Occurrences masked in total.</summary>
    public int TotalMasked => _masked.Sum();

    /// <summary>True when nothing was dropped or masked.</summary>
    public bool IsClean => TotalDropped == 0 && TotalMasked == 0;

    internal void Drop(PiiKind kind, string key) { _dropped[(int)kind]++; _droppedKeys.Add(key); }

    internal void Mask(PiiKind kind) => _masked[(int)kind]++;

    /// <summary>Adds another report's counts to this one.</summary>
    public void Add(ScrubReport other)
    {
        for (var i = 0; i < _dropped.Length; i++) { _dropped[i] += other._dropped[i]; _masked[i] += other._masked[i]; }
        _droppedKeys.UnionWith(other._droppedKeys);
    }

    private static Dictionary<PiiKind, int> ToMap(int[] counts)
    {
        var d = new Dictionary<PiiKind, int>();
        for (var i = 0; i < counts.Length; i++) if (counts[i] > 0) d[(PiiKind)i] = counts[i];
        return d;
    }

    /// <summary>One line, e.g. "dropped 3 (Email 1, PersonName 2); masked 1 (Phone 1)".</summary>
    public override string ToString()
    {
        static string Part(IReadOnlyDictionary<PiiKind, int> m) => string.Join(", ", m.Select(kv => $"{kv.Key} {kv.Value}"));
        return $"dropped {TotalDropped} ({Part(Dropped)}); masked {TotalMasked} ({Part(Masked)})";
    }
}
