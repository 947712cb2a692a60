using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Tests.Pipeline;

/// <summary>
/// Issue #19: the new-item source places new items by their text vectors as well as by their attributes. A new item
/// whose category, brand and shop match nothing the user saw is still proposed when its text is close to one of the
/// user's recent items, and named after it; without text vectors the source is exactly what it was.
/// </summary>
public sealed class NewItemSourceTests
{
    private const long Now = 1_750_000_000;

    // o0, o1: established items; n0 … n3: new (created an hour ago).
    // n0: another category, brand and shop than o0, text close to o0's (cosine 0.8).
    // n1: nothing in common with anything (text orthogonal).
    // n2: o0's leaf category (attribute match 1.3), text orthogonal.
    // n3: no text vector (not encoded yet), o0's brand only (0.7: below the bar).
    private static CatalogIndex Shop()
    {
        Item Old(string id, string title, string[] path, string brand) => new() { Id = id, Title = title, CategoryPath = path, Brand = brand, CreatedAt = DateTimeOffset.FromUnixTimeSeconds(Now - 400 * 86400) };
        Item New(string id, string title, string[] path, string brand) => new() { Id = id, Title = title, CategoryPath = path, Brand = brand, CreatedAt = DateTimeOffset.FromUnixTimeSeconds(Now - 3600) };
        Item[] items =
        [
            Old("o0", "Trail running shoe", ["Shoes", "Running"], "Acme"),
            Old("o1", "Chef's knife", ["Kitchen", "Knives"], "Blade"),
            New("n0", "Lightweight off-road runner", ["Sport", "Footwear"], "Zed"),
            New("n1", "Ceramic vase", ["Home", "Decor"], "Zed"),
            New("n2", "Road shoe", ["Shoes", "Running"], "Other"),
            New("n3", "Acme socks", ["Clothing", "Socks"], "Acme"),
        ];
        return new CatalogIndex(items.Select(i => i.Id).ToArray(), items);
    }

    private static PretrainedVectors Text(bool forNewItems = true)
    {
        float[]?[] rows =
        [
            [1, 0, 0],          // o0
            [0, 0, 1],          // o1
            [0.8f, 0.6f, 0],    // n0: cosine 0.8 with o0
            [0, 0, -1],         // n1
            [0, 1, 0],          // n2
            null,               // n3: no vector
        ];
        if (!forNewItems) rows[2] = rows[3] = rows[4] = null;
        return PretrainedVectors.FromRows("test", 3, rows);
    }

    private static NewItemSource Source(CatalogIndex shop, PretrainedVectors? text) =>
        new(shop, _ => false, Now, text: text is null ? null : () => text);

    private static IReadOnlyList<SourceCandidate> Propose(NewItemSource source, CatalogIndex shop, params int[] recent) =>
        source.Propose(new CandidateContext(new RankingRequest { UserKey = "u", Now = Now }, shop, recent, [], _ => true), 10);

    [Fact]
    public void A_new_item_matching_no_attribute_is_proposed_for_its_text_and_anchored_on_the_closest_recent_item()
    {
        var shop = Shop();
        var withText = Source(shop, Text());
        Assert.True(withText.UsesText);
        var proposed = Propose(withText, shop, 1, 0); // o1, then o0 (newest)
        Assert.Equal([2, 4], proposed.Select(c => c.Item));
        Assert.Equal(0, proposed[0].Anchor);                             // n0 because of o0's text
        Assert.Equal(0, proposed[1].Anchor);                             // n2 because of o0's category
        Assert.Equal(2 * (1 * 0.8f + 0.9f * 0f), proposed[0].Score, 4); // n0: no attribute in common; text 2 × Σ w·cos (o0 weight 1, o1 0.9)
        Assert.Equal(1.3f, proposed[1].Score, 4);                        // n2: leaf and top category of o0; text 0

        var attributesOnly = Propose(Source(shop, null), shop, 1, 0);
        Assert.Equal([4], attributesOnly.Select(c => c.Item));
    }

    [Fact]
    public void Text_far_from_the_recent_items_admits_nothing_and_a_user_without_history_gets_every_new_item()
    {
        var shop = Shop();
        var source = Source(shop, Text());
        Assert.Empty(Propose(source, shop, 1));                          // o1's text is orthogonal or opposite to every new item's
        Assert.Equal([2, 3, 4, 5], Propose(source, shop).Select(c => c.Item).Order());
    }

    [Fact]
    public void Without_text_for_the_new_items_the_source_is_the_attribute_source()
    {
        var shop = Shop();
        var noNewText = Source(shop, Text(forNewItems: false));
        Assert.False(noNewText.UsesText);
        var plain = Source(shop, null);
        foreach (var recent in new[] { new[] { 0 }, [1, 0], [1], [] })
            Assert.Equal(Propose(plain, shop, recent), Propose(noNewText, shop, recent));
    }

    [Fact]
    public void The_pipeline_explains_a_text_placed_new_item_by_the_item_it_resembles()
    {
        var shop = Shop();
        var trending = new TrendingSource(new float[shop.Count]);
        var pipeline = new RankingPipeline(shop, [Source(shop, Text()), trending], trending);
        var result = pipeline.Run(new RankingRequest { UserKey = "u", History = [new HistoryEvent(0, EventKind.View, Now - 60)], N = 5, Now = Now });
        var n0 = Assert.Single(result.Items, r => r.Item == 2);
        Assert.Equal("new", n0.Source);
        Assert.Equal("new, and much like Trail running shoe", n0.Reason);
        var n2 = Assert.Single(result.Items, r => r.Item == 4);
        Assert.Equal("new in Running", n2.Reason);
    }
}
