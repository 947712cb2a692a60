using System.Globalization;
using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// Sparse side information per item in CSR form: item i's feature ids are
/// <c>Ids[Offsets[i]..Offsets[i+1]]</c>, each naming an entry of <see cref="Vocabulary"/>
/// ("cat:Beauty/Skin", "brand:acme", "shop:…", "price:3", "tag:…", "attr:name=value", "tok:word").
/// Missing fields produce no feature (the documented policy for missing attributes), so an item
/// with nothing known has an empty row and models fall back to its id embedding alone.
/// </summary>
public sealed class ItemFeatures
{
    public const int PriceBands = 8;

    public ItemFeatures(IdMap vocabulary, int[] offsets, int[] ids)
    {
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != ids.Length) throw new ArgumentException("inconsistent CSR arrays");
        Vocabulary = vocabulary; Offsets = offsets; Ids = ids;
    }

    public IdMap Vocabulary { get; }
    public int[] Offsets { get; }
    public int[] Ids { get; }
    public int ItemCount => Offsets.Length - 1;
    public int FeatureCount => Vocabulary.Count;

    public ReadOnlySpan<int> Of(int item) => Ids.AsSpan(Offsets[item], Offsets[item + 1] - Offsets[item]);

    /// <summary>
    /// Structured features of each catalog item: every prefix of the category path, brand, shop,
    /// price band (global log-price octiles), tags and free attributes; with
    /// <paramref name="includeText"/> also the title/description tokens. Features seen on fewer
    /// than <paramref name="minItems"/> items are dropped.
    /// </summary>
    public static ItemFeatures FromCatalog(IReadOnlyList<Item?> catalog, bool includeText = false, int minItems = 1)
    {
        var bands = PriceBandEdges(catalog);
        var perItem = new List<string>[catalog.Count];
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < catalog.Count; i++)
        {
            var list = perItem[i] = [];
            var item = catalog[i];
            if (item is null) continue;
            var path = "";
            foreach (var c in item.CategoryPath) { path = path.Length == 0 ? c : path + "/" + c; list.Add("cat:" + path); }
            if (!string.IsNullOrWhiteSpace(item.Brand)) list.Add("brand:" + item.Brand);
            if (!string.IsNullOrWhiteSpace(item.Shop)) list.Add("shop:" + item.Shop);
            if (item.Price is { } p && p > 0 && bands.Length > 0) list.Add("price:" + PriceBand(p, bands).ToString(CultureInfo.InvariantCulture));
            foreach (var t in item.Tags) list.Add("tag:" + t);
            foreach (var (k, v) in item.Attributes) list.Add("attr:" + k + "=" + v);
            if (includeText)
                foreach (var tok in TextTokenizer.Tokens(item.Title + " " + item.Description)) list.Add("tok:" + tok);
            var distinct = list.Distinct(StringComparer.Ordinal).ToList();
            perItem[i] = distinct;
            foreach (var f in distinct) df[f] = df.GetValueOrDefault(f) + 1;
        }
        var vocab = new IdMap();
        var offsets = new int[catalog.Count + 1];
        var ids = new List<int>();
        for (var i = 0; i < catalog.Count; i++)
        {
            foreach (var f in perItem[i])
                if (df[f] >= minItems) ids.Add(vocab.GetOrAdd(f));
            offsets[i + 1] = ids.Count;
        }
        return new ItemFeatures(vocab, offsets, ids.ToArray());
    }

    /// <summary>Band 0..PriceBands-1 of a price given the band edges from <see cref="PriceBandEdges"/>.</summary>
    public static int PriceBand(double price, double[] edges)
    {
        var b = 0;
        while (b < edges.Length && price > edges[b]) b++;
        return b;
    }

    /// <summary>Upper edges of the first PriceBands-1 bands: octiles of the known prices.</summary>
    public static double[] PriceBandEdges(IReadOnlyList<Item?> catalog)
    {
        var prices = catalog.Where(i => i?.Price is > 0).Select(i => i!.Price!.Value).Order().ToArray();
        if (prices.Length == 0) return [];
        var edges = new double[PriceBands - 1];
        for (var b = 0; b < edges.Length; b++) edges[b] = prices[(int)((long)(b + 1) * (prices.Length - 1) / PriceBands)];
        return edges;
    }
}
