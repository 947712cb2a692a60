using Merx.Core.Domain;

namespace Merx.Evaluation.Simulation;

/// <summary>
/// One category per item for interest discovery. The catalog's category (the last element of the
/// category path) when it has one (Taobao); otherwise, for catalogs that only carry anonymous
/// attribute tags (Amazon S3-Rec: brand and category ids mixed), the item's most common tag among
/// those on at most 10% of items: broad enough to group items, narrower than the top-level tags
/// that hold a third of the catalog.
/// </summary>
public static class ItemCategories
{
    public static (int[] Category, int Count) Assign(IReadOnlyList<Item?> catalog, int[] kept)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var category = new int[kept.Length];
        Array.Fill(category, -1);
        var hasPaths = kept.Any(i => i < catalog.Count && catalog[i]?.Category is not null);
        if (hasPaths)
        {
            for (var j = 0; j < kept.Length; j++)
                if (kept[j] < catalog.Count && catalog[kept[j]]?.Category is { } c)
                    category[j] = Id(ids, c);
            return (category, ids.Count);
        }
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in kept)
            if (i < catalog.Count && catalog[i] is { } item)
                foreach (var t in item.Tags.Distinct()) df[t] = df.GetValueOrDefault(t) + 1;
        var max = Math.Max(2, kept.Length / 10);
        for (var j = 0; j < kept.Length; j++)
        {
            if (kept[j] >= catalog.Count || catalog[kept[j]] is not { } item) continue;
            string? best = null;
            foreach (var t in item.Tags)
                if (df[t] <= max && (best is null || df[t] > df[best])) best = t;
            if (best is not null) category[j] = Id(ids, best);
        }
        return (category, ids.Count);
    }

    private static int Id(Dictionary<string, int> ids, string key)
    {
        if (!ids.TryGetValue(key, out var id)) ids[key] = id = ids.Count;
        return id;
    }
}
