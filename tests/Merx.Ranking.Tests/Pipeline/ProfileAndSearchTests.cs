using Merx.Core.Domain;
using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Tests.Pipeline;

public sealed class ProfileAndSearchTests
{
    private readonly CatalogIndex _catalog = TinyShop.Catalog();

    [Fact]
    public void Profile_weighs_purchases_over_views_and_shares_sum_to_one()
    {
        const long now = 1_000_000;
        HistoryEvent[] history =
        [
            new(1, EventKind.View, now - 10), new(2, EventKind.View, now - 9), new(3, EventKind.View, now - 8),
            new(25, EventKind.Purchase, now - 5),
        ];
        var p = InterestProfile.Build(_catalog, history, now);
        Assert.Equal(4, p.Events);
        Assert.Equal(3, p.Activity["view"]);
        Assert.Equal("Cat2", p.Categories[0].Name);
        Assert.Equal(1.0, p.Categories.Sum(c => c.Weight), 3);
        Assert.Equal(now - 5, p.LastSeen);
    }

    [Fact]
    public void Search_matches_text_and_personal_scores_reorder_ties()
    {
        var index = new SearchIndex(_catalog);
        var plain = index.Search("red", 5, _ => true, null);
        Assert.All(plain, h => Assert.Contains("red", _catalog.Item(h.Item)!.Title!));
        Assert.Empty(index.Search("purple", 5, _ => true, null));
        var favourite = plain[^1].Item;
        var personal = index.Search("red", 5, _ => true, items => items.Select(i => i == favourite ? 1f : 0f).ToArray());
        Assert.Equal(favourite, personal[0].Item);
        Assert.DoesNotContain(index.Search("red", 40, i => i != favourite, null), h => h.Item == favourite);
    }

    [Fact]
    public void Category_lookup_takes_paths_and_leaf_names()
    {
        Assert.Equal(Enumerable.Range(10, 10), _catalog.ItemsInCategory("Cat1")!);
        Assert.Equal(Enumerable.Range(0, 20), _catalog.ItemsInCategory("Root0")!);
        Assert.Equal(Enumerable.Range(20, 10), _catalog.ItemsInCategory("root1 > cat2")!);
        Assert.Null(_catalog.ItemsInCategory("nope"));
    }
}
