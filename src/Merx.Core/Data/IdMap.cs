namespace Merx.Core.Data;

/// <summary>
/// A two-way map between external string ids and dense indices 0..Count-1, assigned in first-seen
/// order. Persisted with every model so a model's rows can be matched to ids again.
/// </summary>
public sealed class IdMap
{
    private readonly Dictionary<string, int> _index;
    private readonly List<string> _ids;

    public IdMap(int capacity = 0)
    {
        _index = new Dictionary<string, int>(capacity, StringComparer.Ordinal);
        _ids = new List<string>(capacity);
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
        if (_index.TryGetValue(id, out index)) return false;
        index = _ids.Count;
        _index.Add(id, index);
        _ids.Add(id);
        return true;
    }

    public bool TryGetIndex(string id, out int index) => _index.TryGetValue(id, out index);

    public int IndexOf(string id) => _index.TryGetValue(id, out var index) ? index : -1;

    public void Write(BinaryWriter writer)
    {
        writer.Write(_ids.Count);
        foreach (var id in _ids) writer.Write(id);
    }

    public static IdMap Read(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0) throw new InvalidDataException("negative id count");
        var map = new IdMap(count);
        for (var i = 0; i < count; i++)
            if (!map.TryAdd(reader.ReadString(), out _)) throw new InvalidDataException("duplicate id in id map");
        return map;
    }
}
