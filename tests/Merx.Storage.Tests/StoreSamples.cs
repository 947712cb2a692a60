using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Storage.Tests;

/// <summary>Small deterministic inputs for the store contract tests.</summary>
internal static class StoreSamples
{
    /// <summary><paramref name="n"/> events over a few users and items, every kind, some sessions, searches with queries.</summary>
    public static List<RawEvent> Events(int n, int seed, string userPrefix = "u", string itemPrefix = "i")
    {
        var rng = new Random(seed);
        var list = new List<RawEvent>(n);
        for (var k = 0; k < n; k++)
        {
            var kind = (EventKind)rng.Next(EventKinds.Count);
            var user = $"{userPrefix}{rng.Next(7)}";
            var item = kind == EventKind.Search && rng.Next(2) == 0 ? null : $"{itemPrefix}{rng.Next(11)}";
            var session = rng.Next(3) == 0 ? null : $"s{rng.Next(4)}";
            var query = kind == EventKind.Search ? $"query {rng.Next(100)}" : null;
            list.Add(new RawEvent(user, item, kind, 1_700_000_000L + rng.Next(1_000_000), rng.Next(6) / 2f, session, query));
        }
        return list;
    }

    /// <summary>2023-11-15 00:00:00 UTC, a day boundary for the timelines (issue #8).</summary>
    public const long Day0 = 1_700_006_400;

    /// <summary>A served list of three items, the second explored.</summary>
    public static ServedRecommendation Served(string id, string user, string? variant = null) =>
        new(id, user, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), "sasrec", "full", variant, ["i1", "i2", "i3"], [false, true, false]);

    public static Item FullItem(string id) => new()
    {
        Id = id,
        Title = "Vitamin C serum 30 ml",
        Description = "A serum.\nLine two, with \"quotes\".",
        CategoryPath = ["Beauty", "Skin care", "Serums"],
        Brand = "Lumi",
        Shop = "shop-7",
        Price = 19.99,
        Tags = ["vegan", "bestseller"],
        Attributes = new Dictionary<string, string> { ["size"] = "30 ml", ["colour"] = "clear" },
        CreatedAt = new DateTimeOffset(2024, 3, 5, 14, 7, 9, TimeSpan.FromHours(2)).AddTicks(1234),
        InStock = false,
    };

    public static List<Item> Catalog(int n, string itemPrefix = "i") =>
        Enumerable.Range(0, n).Select(k => k % 2 == 0 ? FullItem($"{itemPrefix}{k}") with { Price = k } : new Item { Id = $"{itemPrefix}{k}" }).ToList();

    public static List<UserProfile> Profiles(params string[] ids) =>
        ids.Select((id, k) => new UserProfile { Id = id, Attributes = new Dictionary<string, string> { ["age_band"] = $"{20 + 10 * k}s" } }).ToList();

    /// <summary>What a <see cref="DatasetBuilder"/> fed catalog, then profiles, then events gives: the reference every store must match.</summary>
    public static Dataset Reference(IEnumerable<Item> catalog, IEnumerable<UserProfile> profiles, IEnumerable<RawEvent> events)
    {
        var b = new DatasetBuilder();
        foreach (var item in catalog) b.AddItem(item);
        foreach (var p in profiles) b.AddUser(p);
        foreach (var e in events) b.AddEvent(e);
        return b.Build();
    }

    public static IEnumerable<RawEvent> ThenThrow(IEnumerable<RawEvent> events, Exception error)
    {
        foreach (var e in events) yield return e;
        throw error;
    }

    public static void AssertSameItem(Item expected, Item? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Title, actual.Title);
        Assert.Equal(expected.Description, actual.Description);
        Assert.Equal(expected.CategoryPath, actual.CategoryPath);
        Assert.Equal(expected.Brand, actual.Brand);
        Assert.Equal(expected.Shop, actual.Shop);
        Assert.Equal(expected.Price, actual.Price);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Attributes.OrderBy(kv => kv.Key), actual.Attributes.OrderBy(kv => kv.Key));
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.CreatedAt?.Offset, actual.CreatedAt?.Offset);
        Assert.Equal(expected.CreatedAt?.Ticks, actual.CreatedAt?.Ticks);
        Assert.Equal(expected.InStock, actual.InStock);
    }

    /// <summary>Asserts two data sets intern the same ids in the same order and hold the same events, catalog and profiles.</summary>
    public static void AssertSameDataset(Dataset expected, Dataset actual)
    {
        Assert.Equal(expected.Users.Ids, actual.Users.Ids);
        Assert.Equal(expected.Items.Ids, actual.Items.Ids);
        var (e, a) = (expected.Events, actual.Events);
        Assert.Equal(e.User, a.User);
        Assert.Equal(e.Item, a.Item);
        Assert.Equal(e.Kind, a.Kind);
        Assert.Equal(e.Timestamp, a.Timestamp);
        Assert.Equal(e.Value, a.Value);
        Assert.Equal(e.Session, a.Session);
        for (var i = 0; i < expected.ItemCount; i++)
        {
            Assert.Equal(expected.Catalog[i] is null, actual.Catalog[i] is null);
            if (expected.Catalog[i] is { } item) AssertSameItem(item, actual.Catalog[i]);
        }
        for (var u = 0; u < expected.UserCount; u++)
        {
            Assert.Equal(expected.Profiles[u] is null, actual.Profiles[u] is null);
            if (expected.Profiles[u] is { } p) Assert.Equal(p.Attributes.OrderBy(kv => kv.Key), actual.Profiles[u]!.Attributes.OrderBy(kv => kv.Key));
        }
    }

    public static void AssertStatsMatch(Dataset expected, StoreStats stats)
    {
        Assert.Equal(expected.UserCount, stats.Users);
        Assert.Equal(expected.ItemCount, stats.Items);
        Assert.Equal(expected.Events.Count, stats.Events);
        Assert.Equal(expected.Events.CountByKind(), stats.EventsByKind);
        Assert.Equal(expected.Profiles.Count(p => p is not null), stats.UsersWithProfile);
        Assert.Equal(expected.Catalog.Count(c => c is not null), stats.ItemsInCatalog);
    }
}
