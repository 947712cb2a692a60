namespace Merx.Ranking.Bandits;

/// <summary>
/// Impression and click counts per arm key (an item index, or segment × item). Only arms that were
/// ever shown take memory; a lookup is one hash probe, so an update stays in the sub-microsecond range.
/// </summary>
internal sealed class ArmTable
{
    private readonly Dictionary<long, (double Shows, double Clicks)> _arms = [];

    public int Count => _arms.Count;

    public (double Shows, double Clicks) Get(long key) => _arms.GetValueOrDefault(key);

    public void Add(long key, bool clicked)
    {
        var (s, c) = _arms.GetValueOrDefault(key);
        _arms[key] = (s + 1, c + (clicked ? 1 : 0));
    }

    public void Write(BinaryWriter w)
    {
        w.Write(_arms.Count);
        foreach (var (k, (s, c)) in _arms.OrderBy(kv => kv.Key)) { w.Write(k); w.Write(s); w.Write(c); }
    }

    public void Read(BinaryReader r)
    {
        _arms.Clear();
        var n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException("bandit state: negative arm count");
        for (var i = 0; i < n; i++)
        {
            var k = r.ReadInt64(); var s = r.ReadDouble(); var c = r.ReadDouble();
            if (!(s >= 0 && c >= 0 && c <= s)) throw new InvalidDataException("bandit state: inconsistent arm counts");
            _arms[k] = (s, c);
        }
    }
}
