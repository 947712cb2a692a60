using System.Text;

namespace Merx.Core.Data;

/// <summary>
/// Many short strings kept as UTF-8 in large pages, one entry per index, instead of one .NET string
/// object each: a 10M-item catalog's titles are 10M objects and about 0.9 GB as strings, about 0.5 GB
/// here, and nothing the collector has to walk. An entry is decoded on each read (a title shown in a
/// response); null entries are kept as null. Append-only; reads are safe from any thread once the
/// appending is done.
/// </summary>
public sealed class Utf8Strings
{
    /// <summary>Bytes per page unless told otherwise; an entry never straddles two pages (an entry longer than a page gets a page of its own).</summary>
    public const int DefaultPageBytes = 1 << 24;

    private readonly int _pageBytes;
    private readonly List<byte[]> _pages = [];
    private readonly List<long> _at = [];        // page << 32 | offset of each entry
    private readonly List<int> _length = [];     // bytes of each entry, −1 for null
    private int _used;                           // bytes used in the last page

    public Utf8Strings(int pageBytes = DefaultPageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageBytes, 1);
        _pageBytes = pageBytes;
    }

    public int Count => _at.Count;

    /// <summary>Appends <paramref name="value"/> (null allowed) and returns its index.</summary>
    public int Add(string? value)
    {
        var index = _at.Count;
        if (value is null) { _at.Add(0); _length.Add(-1); return index; }
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (_pages.Count == 0 || _pages[^1].Length - _used < bytes)
        {
            _pages.Add(new byte[Math.Max(_pageBytes, bytes)]);
            _used = 0;
        }
        var page = _pages.Count - 1;
        Encoding.UTF8.GetBytes(value, _pages[page].AsSpan(_used, bytes));
        _at.Add(((long)page << 32) | (uint)_used);
        _length.Add(bytes);
        _used += bytes;
        return index;
    }

    /// <summary>The entry at <paramref name="index"/>, decoded; null when null was added.</summary>
    public string? this[int index]
    {
        get
        {
            var length = _length[index];
            if (length < 0) return null;
            var at = _at[index];
            return Encoding.UTF8.GetString(_pages[(int)(at >> 32)], (int)(uint)at, length);
        }
    }

    /// <summary>Whether the entry at <paramref name="index"/> is null.</summary>
    public bool IsNull(int index) => _length[index] < 0;

    /// <summary>Releases the spare capacity of the index lists once everything is added.</summary>
    public void TrimExcess()
    {
        _at.TrimExcess(); _length.TrimExcess();
    }
}
