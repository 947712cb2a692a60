using System.Runtime.InteropServices;
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
        // One pass keeps each distinct feature string once and an item's features as ints (first-seen numbers), not a
        // list of strings per item: at 10M items those lists held about 4 GB until the vocabulary was built.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>(); var df = new List<int>();
        var firstSeen = new List<int>();
        var seenOffsets = new int[catalog.Count + 1];
        var list = new List<string>();
        var mine = new HashSet<int>();
        for (var i = 0; i < catalog.Count; i++)
        {
            var item = catalog[i];
            if (item is not null)
            {
                list.Clear(); mine.Clear();
                var path = "";
                foreach (var c in item.CategoryPath) { path = path.Length == 0 ? c : path + "/" + c; list.Add("cat:" + path); }
                if (!string.IsNullOrWhiteSpace(item.Brand)) list.Add("brand:" + item.Brand);
                if (!string.IsNullOrWhiteSpace(item.Shop)) list.Add("shop:" + item.Shop);
                if (item.Price is { } p && p > 0 && bands.Length > 0) list.Add("price:" + PriceBand(p, bands).ToString(CultureInfo.InvariantCulture));
                foreach (var t in item.Tags) list.Add("tag:" + t);
                foreach (var (k, v) in item.Attributes) list.Add("attr:" + k + "=" + v);
                if (includeText)
                    foreach (var tok in TextTokenizer.Tokens(item.Title + " " + item.Description)) list.Add("tok:" + tok);
                foreach (var f in list)
                {
                    ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(seen, f, out var exists);
                    if (!exists) { id = names.Count; names.Add(f); df.Add(0); }
                    if (!mine.Add(id)) continue;   // an item counts a feature once, in the order it first lists it
                    df[id]++;
                    firstSeen.Add(id);
                }
            }
            seenOffsets[i + 1] = firstSeen.Count;
        }
        // The vocabulary numbers the features that reach minItems items in the order items first list them.
        var vocab = new IdMap();
        var offsets = new int[catalog.Count + 1];
        var ids = new List<int>();
        for (var i = 0; i < catalog.Count; i++)
        {
            for (var k = seenOffsets[i]; k < seenOffsets[i + 1]; k++)
                if (df[firstSeen[k]] >= minItems) ids.Add(vocab.GetOrAdd(names[firstSeen[k]]));
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
    public static double[] PriceBandEdges(IReadOnlyList<Item?> catalog) =>
        PriceBandEdges(catalog.Where(i => i?.Price is > 0).Select(i => i!.Price!.Value));

    /// <summary>Upper edges of the first PriceBands-1 bands: octiles of <paramref name="knownPrices"/> (the prices above 0).</summary>
    public static double[] PriceBandEdges(IEnumerable<double> knownPrices)
    {
        var prices = knownPrices.Order().ToArray();
        if (prices.Length == 0) return [];
        var edges = new double[PriceBands - 1];
        for (var b = 0; b < edges.Length; b++) edges[b] = prices[(int)((long)(b + 1) * (prices.Length - 1) / PriceBands)];
        return edges;
    }
}
