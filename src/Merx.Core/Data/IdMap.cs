namespace Merx.Core.Data;

/// <summary>
/// A two-way map between external string ids and dense indices 0..Count-1, assigned in first-seen
/// order. Persisted with every model so a model's rows can be matched to ids again.
/// </summary>
public sealed class IdMap
{
    private Dictionary<string, int>? _index;
    private readonly List<string> _ids;

    public IdMap(int capacity = 0)
    {
        _index = new Dictionary<string, int>(capacity, StringComparer.Ordinal);
        _ids = new List<string>(capacity);
    }

    // A map read from a model file: its id → index lookup is built on first use. A serving process maps a
    // model's ids onto the catalog once and never looks one up, and at 10M items that lookup is about 0.3 GB.
    private IdMap(List<string> ids) => _ids = ids;

    private Dictionary<string, int> Index
    {
        get
        {
            if (Volatile.Read(ref _index) is { } index) return index;
            lock (_ids)
            {
                if (_index is { } built) return built;
                index = new Dictionary<string, int>(_ids.Count, StringComparer.Ordinal);
                for (var i = 0; i < _ids.Count; i++) index.Add(_ids[i], i);
                Volatile.Write(ref _index, index);
                return index;
            }
        }
    }

    public IdMap(IEnumerable<string> ids) : this()
    {
        foreach (var id in ids)
            if (!TryAdd(id, out _)) throw new ArgumentException($"duplicate id '{id}'", nameof(ids));
    }

    public int Count => _ids.Count;

    public IReadOnlyList<string> Ids => _ids;

    public string this[int index] => _ids[index];

    public int GetOrAdd(string id)
    {
        TryAdd(id, out var index);
        return index;
    }

    /// <summary>Adds <paramref name="id"/> if new. Returns false (and the existing index) when it was already present.</summary>
    public bool TryAdd(string id, out int index)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Index.TryGetValue(id, out index)) return false;
        index = _ids.Count;
        _index!.Add(id, index);
        _ids.Add(id);
        return true;
    }

    /// <summary>Lets go of the room the map grew into (a map built one id at a time holds up to twice its ids' references).</summary>
    public void TrimExcess()
    {
        lock (_ids)
        {
            _ids.TrimExcess();
            _index?.TrimExcess();
        }
    }

    public bool TryGetIndex(string id, out int index) => Index.TryGetValue(id, out index);

    public int IndexOf(string id) => Index.TryGetValue(id, out var index) ? index : -1;

    public void Write(BinaryWriter writer)
    {
        writer.Write(_ids.Count);
        foreach (var id in _ids) writer.Write(id);
    }

    /// <summary>Reads a map written by <see cref="Write"/>.</summary>
    /// <param name="shared">
    /// Maps an id read to an equal string the caller already holds (a serving catalog's), so that two maps of the
    /// same items share their strings (10M item ids are about 0.4 GB of strings); null keeps the strings read.
    /// </param>
    public static IdMap Read(BinaryReader reader, Func<string, string>? shared = null)
    {
        var count = reader.ReadInt32();
        if (count < 0) throw new InvalidDataException("negative id count");
        var ids = new List<string>(count);
        var distinct = new HashSet<string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadString();
            if (!distinct.Add(id)) throw new InvalidDataException("duplicate id in id map");
            ids.Add(shared?.Invoke(id) ?? id);
        }
        return new IdMap(ids);
    }
}
