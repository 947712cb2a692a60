using System.Text.Json;
using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Benchmarks;

/// <summary>
/// Reads the S3-Rec Beauty files directly (the real importers live elsewhere): Beauty.txt has one
/// user per line, "user item item …" in time order; Beauty_item2attributes.json maps item → attribute
/// ids, which become tags "a&lt;id&gt;". Timestamps are positions; every event is a view (weight 1).
/// </summary>
internal static class EvalBeautyData
{
    public static (UserSequences Sequences, IdMap Items, Item?[] Catalog) Load(string folder)
    {
        var items = new IdMap();
        var lists = new List<IReadOnlyList<int>>();
        foreach (var line in File.ReadLines(Path.Combine(folder, "Beauty.txt")))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            lists.Add(parts.Skip(1).Select(items.GetOrAdd).ToArray());
        }
        var catalog = new Item?[items.Count];
        for (var i = 0; i < items.Count; i++) catalog[i] = new Item { Id = items[i] };
        var attrPath = Path.Combine(folder, "Beauty_item2attributes.json");
        if (File.Exists(attrPath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(attrPath));
            foreach (var p in doc.RootElement.EnumerateObject())
                if (items.TryGetIndex(p.Name, out var idx))
                    catalog[idx] = catalog[idx]! with { Tags = p.Value.EnumerateArray().Select(a => "a" + a.GetInt32()).ToArray() };
        }
        return (UserSequences.FromLists(lists, items.Count), items, catalog);
    }

    /// <summary>The repository's datasets folder: ../shared/datasets beside the directory holding Merx.slnx.</summary>
    public static string? DatasetsRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Merx.slnx")))
            {
                var root = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets"));
                return Directory.Exists(root) ? root : null;
            }
        return null;
    }

    public static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Merx.slnx"))) return dir.FullName;
        return null;
    }
}
