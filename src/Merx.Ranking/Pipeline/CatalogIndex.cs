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
    private readonly Utf8Strings _titles;
    private readonly bool[] _cataloged;
    private readonly int[] _category, _topCategory, _brand, _shop, _priceBand;
    private readonly bool[] _inStock;
    private readonly long[] _createdAt;           // unix seconds, long.MinValue when unknown
    private readonly IdMap _categories, _brands, _shops;
    private readonly Dictionary<string, int[]> _byCategoryPath;
    private readonly ICatalogEntries _entries;

    /// <param name="ids">External item ids; their order defines the index space.</param>
    /// <param name="items">Catalog entries aligned with <paramref name="ids"/>; null for items known only from events. The index holds them (<see cref="Item(int)"/>).</param>
    public CatalogIndex(IReadOnlyList<string> ids, IReadOnlyList<Item?> items) : this(Collect(ids, items)) { }

    private static Builder Collect(IReadOnlyList<string> ids, IReadOnlyList<Item?> items)
    {
        if (ids.Count != items.Count) throw new ArgumentException("one catalog entry (or null) per id", nameof(items));
        var builder = new Builder(entries: null, ids.Count);
        for (var i = 0; i < ids.Count; i++) builder.Add(ids[i], items[i]);
        return builder;
    }

    private CatalogIndex(Builder b)
    {
        _ids = b.Ids; _ids.TrimExcess(); _titles = b.Titles; _titles.TrimExcess();
        _cataloged = [.. b.Cataloged]; _category = [.. b.Category]; _topCategory = [.. b.TopCategory]; _brand = [.. b.Brand]; _shop = [.. b.Shop];
        _inStock = [.. b.InStock]; _createdAt = [.. b.CreatedAt];
        _categories = b.Categories; _brands = b.Brands; _shops = b.Shops;
        var edges = ItemFeatures.PriceBandEdges(b.Prices.Where(p => p > 0));
        _priceBand = new int[b.Prices.Count];
        for (var i = 0; i < _priceBand.Length; i++) _priceBand[i] = b.Prices[i] > 0 && edges.Length > 0 ? ItemFeatures.PriceBand(b.Prices[i], edges) : -1;
        PriceBandEdges = edges;
        _byCategoryPath = b.ByPath.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
        _entries = b.Entries ?? new HeldEntries(this, b.Held!.ToArray());
    }

    /// <summary>
    /// Builds a catalog one item at a time (a store's scan), keeping only the columns a request reads: the
    /// title, the interned category, brand and shop, price band, stock and age. The full entries (description,
    /// tags, attributes) stay where <see cref="ICatalogEntries"/> reads them; at 10M items holding them was most
    /// of a serving process's heap (bench/results/serving-scale.md).
    /// </summary>
    /// <param name="entries">Where the full entries are read (a store); null: the builder holds the added items.</param>
    public sealed class Builder(ICatalogEntries? entries, int capacity = 0)
    {
        internal readonly IdMap Ids = new(capacity), Categories = new(), Brands = new(), Shops = new();
        internal readonly Utf8Strings Titles = new();
        internal readonly List<bool> Cataloged = new(capacity), InStock = new(capacity);
        internal readonly List<int> Category = new(capacity), TopCategory = new(capacity), Brand = new(capacity), Shop = new(capacity);
        internal readonly List<long> CreatedAt = new(capacity);
        internal readonly List<double> Prices = new(capacity);
        internal readonly Dictionary<string, List<int>> ByPath = new(StringComparer.OrdinalIgnoreCase);
        internal readonly ICatalogEntries? Entries = entries;
        internal readonly List<Item?>? Held = entries is null ? new(capacity) : null;
        private bool _built;

        public int Count => Ids.Count;

        /// <summary>Adds the next item (its index is <see cref="Count"/> before the call); <paramref name="item"/> is null for an item known only from events.</summary>
        public void Add(string id, Item? item)
        {
            if (_built) throw new InvalidOperationException("the catalog is built");
            var i = Ids.Count;
            if (!Ids.TryAdd(id, out _)) throw new ArgumentException($"item ids must be unique: '{id}' twice", nameof(id));
            Held?.Add(item);
            Titles.Add(item?.Title);
            Cataloged.Add(item is not null);
            Category.Add(item?.Category is { } c ? Categories.GetOrAdd(c) : -1);
            TopCategory.Add(item is { CategoryPath.Count: > 0 } ? Categories.GetOrAdd(item.CategoryPath[0]) : -1);
            Brand.Add(string.IsNullOrWhiteSpace(item?.Brand) ? -1 : Brands.GetOrAdd(item.Brand));
            Shop.Add(string.IsNullOrWhiteSpace(item?.Shop) ? -1 : Shops.GetOrAdd(item.Shop));
            Prices.Add(item?.Price ?? 0);
            InStock.Add(item?.InStock ?? true);
            CreatedAt.Add(item?.CreatedAt?.ToUnixTimeSeconds() ?? long.MinValue);
            if (item is null) return;
            var path = "";
            foreach (var part in item.CategoryPath)
            {
                path = path.Length == 0 ? part : path + "/" + part;
                if (!ByPath.TryGetValue(path, out var list)) ByPath[path] = list = [];
                list.Add(i);
            }
        }

        public CatalogIndex Build()
        {
            _built = true;
            return new CatalogIndex(this);
        }
    }

    // The entries a catalog was built from, held in memory (tests, offline evaluation).
    private sealed class HeldEntries(CatalogIndex catalog, Item?[] items) : ICatalogEntries
    {
        public Item? Get(string id) => catalog.IndexOf(id) is var i and >= 0 ? items[i] : null;
        public void ForEach(Action<string, Item> visit)
        {
            for (var i = 0; i < items.Length; i++)
                if (items[i] is { } item) visit(catalog.Id(i), item);
        }
    }

    public int Count => _cataloged.Length;
    public IReadOnlyList<string> Ids => _ids.Ids;
    public double[] PriceBandEdges { get; }

    public string Id(int item) => _ids[item];
    public int IndexOf(string id) => _ids.IndexOf(id);
    /// <summary>This catalog's instance of <paramref name="id"/> when it has the item, else <paramref name="id"/>: lets another map of the same ids (a model's, the next catalog's) share the strings.</summary>
    public string SharedId(string id) => _ids.IndexOf(id) is var i and >= 0 ? _ids[i] : id;
    /// <summary>Whether the item had a catalog entry when the catalog was built (false: known only from events).</summary>
    public bool Cataloged(int item) => _cataloged[item];
    /// <summary>The item's title when the catalog was built, null when it had none.</summary>
    public string? Title(int item) => _titles[item];

    /// <summary>
    /// The item's full catalog entry, read from <see cref="ICatalogEntries"/> (a store: its current entry, which
    /// may be newer than this catalog); null when it has none. One read per call: for a few items (a dashboard),
    /// never for a pass over the catalog (<see cref="ForEachEntry"/>).
    /// </summary>
    public Item? Item(int item) => _entries.Get(_ids[item]);

    /// <summary>Visits the full entry of every catalog item this catalog indexes (entries added since it was built are left out).</summary>
    public void ForEachEntry(Action<int, Item> visit) =>
        _entries.ForEach((id, entry) => { if (_ids.IndexOf(id) is var i and >= 0) visit(i, entry); });

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
    public string Label(int item) => Title(item) is { Length: > 0 } t ? t : _ids[item];

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

/// <summary>
/// The full catalog entries behind a <see cref="CatalogIndex"/> (which keeps a few columns of each item): a
/// store's catalog for a serving catalog, the items themselves for one built from a list.
/// </summary>
public interface ICatalogEntries
{
    /// <summary>The entry of <paramref name="id"/>, null when the catalog has none.</summary>
    Item? Get(string id);
    /// <summary>Visits every catalog entry (id, entry).</summary>
    void ForEach(Action<string, Item> visit);
}
