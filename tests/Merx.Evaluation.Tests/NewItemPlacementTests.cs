using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Evaluation.Harness;

namespace Merx.Evaluation.Tests;

/// <summary>
/// Issue #19: `merx new-items-bench` — the serving new-item source measured on a cold-item split. A shop where the
/// new items' attributes tell nothing (one category for all) but their text points at what each user watched: text
/// must place the hidden target first, attributes alone must not.
/// </summary>
public sealed class NewItemPlacementTests
{
    // 8 "topics" × 3 items: items 3t, 3t+1 are old, 3t+2 is the topic's new item. Every item is in the same category.
    // Text: a unit vector along the topic's axis. User u (one per topic) watched 3t and 3t+1, then the new 3t+2.
    private const int Topics = 8;

    private static (Split Split, string[] Ids, Item?[] Catalog, PretrainedVectors Text) Shop()
    {
        var ids = Enumerable.Range(0, 3 * Topics).Select(i => "i" + i).ToArray();
        var catalog = ids.Select(id => (Item?)new Item { Id = id, Title = id, CategoryPath = ["All", "Things"] }).ToArray();
        var rows = Enumerable.Range(0, ids.Length).Select(i => { var v = new float[Topics]; v[i / 3] = 1; return (float[]?)v; }).ToArray();
        var sequences = Enumerable.Range(0, Topics).Select(t => (IReadOnlyList<int>)[3 * t, 3 * t + 1, 3 * t + 2]).ToList();
        var loo = Splitter.LeaveOneOut(UserSequences.FromLists(sequences, ids.Length));
        var hidden = new Split(loo.Protocol + "+cold", loo.Train, [], loo.Test);
        return (hidden, ids, catalog, PretrainedVectors.FromRows("test", Topics, rows));
    }

    [Fact]
    public void Text_places_the_hidden_items_that_attributes_cannot_tell_apart()
    {
        var (split, ids, catalog, text) = Shop();
        var r = NewItemPlacement.Run(split, ids, catalog, text, seed: 1);
        Assert.Equal(Topics, r.Cases);
        Assert.Equal(Topics, r.NewItems);
        Assert.True(r.TextUsed);
        Assert.Equal(1.0, r.WithText!.Ndcg10, 6);      // the topic's new item first for every user
        Assert.Equal(1.0, r.WithText.Proposed);
        // By attributes every new item ties (same category): ranked by item index, so only topic 0's user gets the target first.
        Assert.Equal(1.0, r.Attributes.Proposed);
        Assert.True(r.Attributes.Ndcg10 < 0.8, $"attributes alone: {r.Attributes.Ndcg10}");
        Assert.True(r.Attributes.NdcgCi.Lo <= r.Attributes.Ndcg10 && r.Attributes.Ndcg10 <= r.Attributes.NdcgCi.Hi);
    }

    [Fact]
    public void Without_text_only_attributes_are_measured_and_a_split_without_cold_cases_is_refused()
    {
        var (split, ids, catalog, _) = Shop();
        var r = NewItemPlacement.Run(split, ids, catalog, text: null, seed: 1);
        Assert.False(r.TextUsed);
        Assert.Null(r.WithText);
        Assert.Throws<ArgumentException>(() => NewItemPlacement.Run(split with { Test = [] }, ids, catalog, null, seed: 1));
    }
}
