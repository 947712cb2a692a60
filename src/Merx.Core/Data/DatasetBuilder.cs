using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// Interns <see cref="RawEvent"/>s and catalog <see cref="Item"/>s into a <see cref="Dataset"/>.
/// Items are upserted by id (a later record replaces an earlier one); events may name items the
/// catalog does not know, which then get an index with a null catalog entry.
/// </summary>
public sealed class DatasetBuilder
{
    private readonly IdMap _users = new();
    private readonly IdMap _items = new();
    private readonly IdMap _sessions = new();
    private readonly List<Item?> _catalog = [];
    private readonly List<UserProfile?> _profiles = [];
    private readonly List<int> _user = [], _item = [], _session = [];
    private readonly List<EventKind> _kind = [];
    private readonly List<long> _time = [];
    private readonly List<float> _value = [];

    public int EventCount => _user.Count;

    public int AddItem(Item item)
    {
        var index = InternItem(item.Id);
        _catalog[index] = item;
        return index;
    }

    public int AddUser(UserProfile profile)
    {
        var index = InternUser(profile.Id);
        _profiles[index] = profile;
        return index;
    }

    public void AddEvent(in RawEvent e)
    {
        if (e.Item is null && e.Kind != EventKind.Search)
            throw new ArgumentException($"a {e.Kind.ToWireName()} event needs an item", nameof(e));
        _user.Add(InternUser(e.User));
        _item.Add(e.Item is null ? -1 : InternItem(e.Item));
        _kind.Add(e.Kind);
        _time.Add(e.Timestamp);
        _value.Add(e.Value);
        _session.Add(e.Session is null ? -1 : _sessions.GetOrAdd(e.User + "\u001f" + e.Session));
    }

    public Dataset Build() => new(
        _users, _items, _catalog.ToArray(),
        new EventLog(_user.ToArray(), _item.ToArray(), _kind.ToArray(), _time.ToArray(), _value.ToArray(), _session.ToArray()),
        _profiles.ToArray());

    private int InternUser(string id)
    {
        if (_users.TryAdd(id, out var index)) _profiles.Add(null);
        return index;
    }

    private int InternItem(string id)
    {
        if (_items.TryAdd(id, out var index)) _catalog.Add(null);
        return index;
    }
}
