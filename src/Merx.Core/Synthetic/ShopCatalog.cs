using Merx.Core.Domain;

namespace Merx.Core.Synthetic;

/// <summary>
/// The generated catalog and the structure users sample from: a 3-level category tree, brands tied
/// to a few root categories, shops, and per leaf the items ordered by popularity with Zipf weights.
/// Memory grows with items, never with events.
/// </summary>
internal sealed class ShopCatalog
{
    public ShopCatalog(ShopGeneratorOptions o)
    {
        var rng = SplitMix.For(o.Seed, -1);
        var roots = Math.Min(o.RootCategories, Words.Roots.Length);
        LeafPaths = [];
        LeafRoot = [];
        for (var r = 0; r < roots; r++)
            for (var s = 0; s < o.Branching; s++)
                for (var l = 0; l < o.Branching; l++)
                {
                    var noun = Words.Nouns[r][(s * o.Branching + l) % Words.Nouns[r].Length];
                    var style = Words.SubStyles[(r + s) % Words.SubStyles.Length];
                    LeafPaths.Add([Words.Roots[r], $"{Cap(style)} {Words.Roots[r].ToLowerInvariant()}", $"{Cap(style)} {noun}{(l >= Words.Nouns[r].Length ? " " + l : "")}"]);
                    LeafRoot.Add(r);
                }
        if (LeafPaths.Count > o.Items)
        {
            // A catalog smaller than the category tree would leave leaves without items (and the sampler
            // with nothing to draw): keep as many leaves as items, spread over the roots.
            var perRoot = o.Branching * o.Branching;
            var keep = Enumerable.Range(0, LeafPaths.Count).OrderBy(i => i % perRoot).ThenBy(i => i / perRoot).Take(Math.Max(1, o.Items)).Order().ToArray();
            LeafPaths = keep.Select(i => LeafPaths[i]).ToList();
            LeafRoot = keep.Select(i => LeafRoot[i]).ToList();
        }
        var brandCount = o.Brands > 0 ? o.Brands : Math.Max(8, o.Items / 40);
        Brands = new string[brandCount];
        BrandRoots = new int[brandCount][];
        for (var b = 0; b < brandCount; b++)
        {
            Brands[b] = Cap(rng.Pick(Words.Syllables) + rng.Pick(Words.Syllables) + rng.Pick(Words.Syllables)) + (b >= 512 ? " " + b : "");
            BrandRoots[b] = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => rng.Next(roots)).Distinct().ToArray();
        }
        var brandsOfRoot = Enumerable.Range(0, roots).Select(r => Enumerable.Range(0, brandCount).Where(b => BrandRoots[b].Contains(r)).ToArray()).ToArray();
        var shopCount = o.Shops > 0 ? o.Shops : Math.Max(4, o.Items / 200);
        Shops = Enumerable.Range(0, shopCount).Select(s => $"{Cap(rng.Pick(Words.Syllables) + rng.Pick(Words.Syllables))} Store {s + 1}").ToArray();

        var leafCount = LeafPaths.Count;
        var leafPriceMean = Enumerable.Range(0, leafCount).Select(_ => 2.0 + 2.5 * rng.NextDouble()).ToArray(); // log-price
        ItemLeaf = new int[o.Items];
        ItemBrand = new int[o.Items];
        ItemCreated = new long[o.Items];
        var perLeaf = Enumerable.Range(0, leafCount).Select(_ => new List<int>()).ToArray();
        Catalog = new Item[o.Items];
        var period = o.Days * 86_400L;
        for (var i = 0; i < o.Items; i++)
        {
            var leaf = i < leafCount ? i : (int)(Math.Pow(rng.NextDouble(), 1.6) * leafCount); // every leaf has an item; some leaves are bigger
            var root = LeafRoot[leaf];
            var brandPool = brandsOfRoot[root];
            var brand = brandPool.Length > 0 ? brandPool[rng.Next(brandPool.Length)] : rng.Next(brandCount);
            ItemLeaf[i] = leaf; ItemBrand[i] = brand;
            perLeaf[leaf].Add(i);
            var noun = LeafPaths[leaf][2].Split(' ', 2)[1];
            var adjective = rng.Pick(Words.Adjectives);
            var color = rng.Pick(Words.Colors);
            var material = rng.Pick(Words.Materials);
            var created = rng.Chance(0.15) ? o.StartTime + (long)(period * (0.5 + 0.5 * rng.NextDouble())) : o.StartTime - (long)(rng.NextDouble() * 365 * 86_400);
            ItemCreated[i] = created;
            Catalog[i] = new Item
            {
                Id = "i" + i,
                Title = $"{Brands[brand]} {adjective} {color} {noun} {100 + rng.Next(900)}",
                Description = $"A {adjective} {noun} in {material} from {Brands[brand]}, made for {rng.Pick(Words.Uses)}. " +
                              $"Part of our {LeafPaths[leaf][1].ToLowerInvariant()} range in {Words.Roots[root].ToLowerInvariant()}.",
                CategoryPath = LeafPaths[leaf],
                Brand = Brands[brand],
                Shop = Shops[(brand * 7 + rng.Next(3)) % shopCount],
                Price = Math.Round(Math.Exp(leafPriceMean[leaf] + 0.5 * rng.NextGaussian()), 2),
                Tags = [adjective, color],
                Attributes = new Dictionary<string, string> { ["color"] = color, ["material"] = material },
                CreatedAt = DateTimeOffset.FromUnixTimeSeconds(created),
                InStock = !rng.Chance(0.03),
            };
        }
        // Popularity: a random order within each leaf, Zipf weights by rank; cumulative for sampling.
        LeafItems = new int[leafCount][];
        LeafCumulative = new double[leafCount][];
        LeafWeight = new double[leafCount];
        for (var leaf = 0; leaf < leafCount; leaf++)
        {
            var items = perLeaf[leaf].ToArray();
            for (var k = items.Length - 1; k > 0; k--) { var j = rng.Next(k + 1); (items[k], items[j]) = (items[j], items[k]); }
            var cum = new double[items.Length];
            var total = 0.0;
            for (var k = 0; k < items.Length; k++) { total += 1 / Math.Pow(k + 1, o.ZipfExponent); cum[k] = total; }
            LeafItems[leaf] = items; LeafCumulative[leaf] = cum;
            LeafWeight[leaf] = 1 / Math.Pow(1 + rng.Next(leafCount), 0.7);
        }
    }

    public List<string[]> LeafPaths { get; }
    public List<int> LeafRoot { get; }
    public string[] Brands { get; }
    public int[][] BrandRoots { get; }
    public string[] Shops { get; }
    public Item[] Catalog { get; }
    public int[] ItemLeaf { get; }
    public int[] ItemBrand { get; }
    public long[] ItemCreated { get; }
    public int[][] LeafItems { get; }
    public double[][] LeafCumulative { get; }
    /// <summary>How likely a new interest lands on each leaf (some categories are more popular).</summary>
    public double[] LeafWeight { get; }

    /// <summary>An item of a leaf, by Zipf popularity, skipping items not yet created at <paramref name="time"/> when possible.</summary>
    public int SampleItem(int leaf, ref SplitMix rng, long time)
    {
        var items = LeafItems[leaf]; var cum = LeafCumulative[leaf];
        for (var attempt = 0; ; attempt++)
        {
            var k = Array.BinarySearch(cum, rng.NextDouble() * cum[^1]);
            if (k < 0) k = ~k;
            var item = items[Math.Min(k, items.Length - 1)];
            if (ItemCreated[item] <= time || attempt >= 4) return item;
        }
    }

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
