using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Ranking.Pipeline;

/// <summary>
/// The serving catalog: every item the shop or the models know, by one dense index (the index
/// space all candidate sources, filters and stages work in), with the attributes the pipeline
/// needs interned to small ints (leaf category, top category, brand, shop, price band). Items are
/// immutable once indexed except for the in-stock flag, which flips in place so that a "mark out
/// of stock" takes effect on the next request without a rebuild.
/// </summary>
public sealed class CatalogIndex
{
    private readonly IdMap _ids;
    private readonly Item?[] _items;
    private readonly int[] _category, _topCategory, _brand, _shop, _priceBand;
    private readonly bool[] _inStock;
    private readonly long[] _createdAt;           // unix seconds, long.MinValue when unknown
    private readonly IdMap _categories = new(), _brands = new(), _shops = new();
    private readonly Dictionary<string, int[]> _byCategoryPath;

    /// <param name="ids">External item ids; their order defines the index space.</param>
    /// <param name="items">Catalog entries aligned with <paramref name="ids"/>; null for items known only from events.</param>
    public CatalogIndex(IReadOnlyList<string> ids, IReadOnlyList<Item?> items)
    {
        if (ids.Count != items.Count) throw new ArgumentException("one catalog entry (or null) per id", nameof(items));
        _ids = new IdMap(ids);
        if (_ids.Count != ids.Count) throw new ArgumentException("item ids must be unique", nameof(ids));
        var n = ids.Count;
        _items = items.ToArray();
        _category = new int[n]; _topCategory = new int[n]; _brand = new int[n]; _shop = new int[n]; _priceBand = new int[n];
        _inStock = new bool[n]; _createdAt = new long[n];
        var edges = ItemFeatures.PriceBandEdges(_items);
        var byPath = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < n; i++)
        {
            var item = _items[i];
            _category[i] = item?.Category is { } c ? _categories.GetOrAdd(c) : -1;
            _topCategory[i] = item is { CategoryPath.Count: > 0 } ? _categories.GetOrAdd(item.CategoryPath[0]) : -1;
            _brand[i] = string.IsNullOrWhiteSpace(item?.Brand) ? -1 : _brands.GetOrAdd(item.Brand);
            _shop[i] = string.IsNullOrWhiteSpace(item?.Shop) ? -1 : _shops.GetOrAdd(item.Shop);
            _priceBand[i] = item?.Price is > 0 && edges.Length > 0 ? ItemFeatures.PriceBand(item.Price.Value, edges) : -1;
            _inStock[i] = item?.InStock ?? true;
            _createdAt[i] = item?.CreatedAt?.ToUnixTimeSeconds() ?? long.MinValue;
            if (item is null) continue;
            var path = "";
            foreach (var part in item.CategoryPath)
            {
                path = path.Length == 0 ? part : path + "/" + part;
                if (!byPath.TryGetValue(path, out var list)) byPath[path] = list = [];
                list.Add(i);
            }
        }
        _byCategoryPath = byPath.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
        PriceBandEdges = edges;
    }

    public int Count => _items.Length;
    public IReadOnlyList<string> Ids => _ids.Ids;
    public double[] PriceBandEdges { get; }

    public string Id(int item) => _ids[item];
    public int IndexOf(string id) => _ids.IndexOf(id);
    public Item? Item(int item) => _items[item];

    /// <summary>Leaf category id (−1 when unknown); names via <see cref="CategoryName"/>.</summary>
    public int Category(int item) => _category[item];
    public int TopCategory(int item) => _topCategory[item];
    public int Brand(int item) => _brand[item];
    public int Shop(int item) => _shop[item];
    /// <summary>0..<see cref="ItemFeatures.PriceBands"/>-1 (octiles of the catalog's prices), −1 when unknown.</summary>
    public int PriceBand(int item) => _priceBand[item];
    public long CreatedAt(int item) => _createdAt[item];
    public bool InStock(int item) => Volatile.Read(ref _inStock[item]);
    public void SetInStock(int item, bool inStock) => Volatile.Write(ref _inStock[item], inStock);

    public int CategoryCount => _categories.Count;
    public int BrandCount => _brands.Count;
    public int ShopCount => _shops.Count;
    public string CategoryName(int category) => _categories[category];
    public string BrandName(int brand) => _brands[brand];
    public string ShopName(int shop) => _shops[shop];
    public int ShopIndex(string name) => _shops.IndexOf(name);

    /// <summary>A short human label for explanations: the title, else the id.</summary>
    public string Label(int item) => _items[item]?.Title is { Length: > 0 } t ? t : _ids[item];

    /// <summary>
    /// Items under a category, matched as a path prefix ("Beauty/Skin care") or as any single
    /// category name ("Serums"), case-insensitive; null when no item has it.
    /// </summary>
    public int[]? ItemsInCategory(string category)
    {
        var key = category.Replace(" > ", "/").Trim().Trim('/');
        if (_byCategoryPath.TryGetValue(key, out var items)) return items;
        var union = _byCategoryPath.Where(p => p.Key.EndsWith("/" + key, StringComparison.OrdinalIgnoreCase)).SelectMany(p => p.Value).Distinct().Order().ToArray();
        return union.Length == 0 ? null : union;
    }
}
