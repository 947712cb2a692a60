using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Import;
using Merx.Core.Synthetic;

namespace Merx.Core.Tests.Synthetic;

public class ShopGeneratorTests
{
    private static readonly ShopGeneratorOptions Small = new() { Users = 400, Items = 600, Events = 20_000, Seed = 7 };

    [Fact]
    public void SameSeed_SameFiles_OtherSeed_Different()
    {
        static string Hash(ShopGeneratorOptions o)
        {
            var dir = Directory.CreateTempSubdirectory("merx-gen-").FullName;
            try
            {
                ShopWriter.Write(new ShopGenerator(o), dir);
                return string.Join(",", new[] { "items.jsonl", "users.csv", "events.csv" }
                    .Select(f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, f))))));
            }
            finally { Directory.Delete(dir, true); }
        }
        Assert.Equal(Hash(Small), Hash(Small));
        Assert.NotEqual(Hash(Small), Hash(Small with { Seed = 8 }));
    }

    [Fact]
    public void ProducesExactlyTheRequestedEvents_AtLeastThreePerUser()
    {
        var events = new ShopGenerator(Small).Events().ToList();
        Assert.Equal(Small.Events, events.Count);
        Assert.All(events.GroupBy(e => e.User), g => Assert.True(g.Count() >= 3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(30)]
    [InlineData(120)]
    public void CatalogsSmallerThanTheCategoryTree_StillGenerate(int items)
    {
        var o = new ShopGeneratorOptions { Users = 50, Items = items, Events = 1_000, Seed = 3 };
        var generator = new ShopGenerator(o);
        var events = generator.Events().ToList();
        Assert.Equal(o.Events, events.Count);
        var ids = generator.Items().Select(i => i.Id).ToHashSet();
        Assert.Equal(items, ids.Count);
        Assert.All(events.Where(e => e.Item is not null), e => Assert.Contains(e.Item!, ids));
    }

    [Fact]
    public void Funnel_PurchasesFollowCartsFollowViews()
    {
        var events = new ShopGenerator(Small).Events().ToList();
        var count = events.GroupBy(e => e.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(count[EventKind.Purchase] < count[EventKind.AddToCart]);
        Assert.True(count[EventKind.AddToCart] < count[EventKind.View]);
        Assert.True(count[EventKind.Purchase] > 0 && count[EventKind.Search] > 0 && count[EventKind.Favorite] > 0);
        foreach (var user in events.GroupBy(e => e.User))
        {
            var viewed = new HashSet<string>();
            foreach (var e in user)
            {
                if (e.Kind is EventKind.View or EventKind.Click) viewed.Add(e.Item!);
                if (e.Kind == EventKind.Purchase) Assert.Contains(e.Item!, viewed);
            }
        }
    }

    [Fact]
    public void Sessions_AreSeparatedByTheGap_AndTimeIncreases()
    {
        var events = new ShopGenerator(Small).Events().ToList();
        foreach (var user in events.GroupBy(e => e.User))
        {
            RawEvent? prev = null;
            foreach (var e in user)
            {
                if (prev is { } p)
                {
                    Assert.True(e.Timestamp >= p.Timestamp);
                    if (e.Session != p.Session) Assert.True(e.Timestamp - p.Timestamp > Small.SessionGapSeconds);
                }
                prev = e;
            }
        }
    }

    [Fact]
    public void Popularity_IsHeavyTailed()
    {
        var counts = new ShopGenerator(Small).Events().Where(e => e.Item is not null).GroupBy(e => e.Item).Select(g => g.Count()).OrderDescending().ToArray();
        var top = counts.Take(Math.Max(1, Small.Items / 20)).Sum();
        Assert.True(top > 0.2 * counts.Sum(), $"top 5% of items get {top} of {counts.Sum()}");
    }

    [Fact]
    public void Interests_Drift()
    {
        var gen = new ShopGenerator(Small with { InterestDrift = 0.3 });
        var category = gen.Items().ToDictionary(i => i.Id, i => i.CategoryPath[^1]);
        var drifted = 0; var users = 0;
        foreach (var user in gen.Events().Where(e => e.Item is not null).GroupBy(e => e.User))
        {
            var list = user.ToList();
            if (list.Count < 30) continue;
            users++;
            var early = list.Take(list.Count / 3).Select(e => category[e.Item!]).ToHashSet();
            var late = list.Skip(2 * list.Count / 3).Select(e => category[e.Item!]).ToHashSet();
            if (late.Except(early).Count() >= 2) drifted++;
        }
        Assert.True(users > 10 && drifted > users / 5, $"{drifted} of {users} users drifted");
    }

    [Fact]
    public void WrittenShop_ImportsBack_WithEveryEventItemInTheCatalog()
    {
        var dir = Directory.CreateTempSubdirectory("merx-gen-").FullName;
        try
        {
            ShopWriter.Write(new ShopGenerator(Small), dir);
            var report = new ImportReport(new ImportOptions { Strict = true });
            var data = DatasetLoader.Load(DataSources.Open(dir), report);
            Assert.Equal(Small.Events, data.Events.Count);
            Assert.Equal(Small.Items, data.Catalog.Count(i => i is not null));
            Assert.Equal(Small.Items, data.ItemCount); // no event names an unknown item
            Assert.Equal(Small.Users, data.UserCount);
            Assert.All(data.Catalog, i => Assert.False(string.IsNullOrEmpty(i!.Title)));
            var stats = DatasetStats.Compute(data);
            Assert.Equal(Small.Events, stats.EventsByKind.Sum());
        }
        finally { Directory.Delete(dir, true); }
    }
}
