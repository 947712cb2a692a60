using Merx.Core.Data;
using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Tests.Pipeline;

/// <summary>Issue #19: keyword search fused with text-vector neighbours.</summary>
public sealed class HybridSearchTests
{
    private readonly CatalogIndex _catalog = TinyShop.Catalog();

    /// <summary>Unit vectors along axis (item % 4), so the items sharing item 7's axis are 3, 7, 11, …</summary>
    private PretrainedVectors Vectors(int dim = 4)
    {
        var rows = new float[]?[_catalog.Count];
        for (var i = 0; i < rows.Length; i++) { rows[i] = new float[dim]; rows[i]![i % dim] = 1; }
        rows[5] = null;                                                   // an item not encoded yet
        return PretrainedVectors.FromRows("test", dim, rows);
    }

    [Fact]
    public void Without_semantic_matches_search_is_exactly_keyword_search()
    {
        var index = new SearchIndex(_catalog);
        var before = index.Search("red", 8, _ => true, null);
        var after = index.Search("red", 8, _ => true, null, semantic: null);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_query_sharing_no_word_with_an_item_finds_it_through_its_vector()
    {
        var index = new SearchIndex(_catalog);
        Assert.Empty(index.Search("purple", 5, _ => true, null));
        var query = new float[4]; query[3] = 1;
        var nearest = SearchIndex.Nearest(query, Vectors(), 200);
        Assert.All(nearest.Take(5), n => Assert.Equal(3, n.Item % 4));
        Assert.DoesNotContain(nearest, n => n.Item == 5);                 // no vector: never a semantic match
        var hits = index.Search("purple", 5, _ => true, null, semantic: nearest);
        Assert.Equal(nearest.Take(5).Select(n => n.Item), hits.Select(h => h.Item));
        Assert.Equal(1f, hits[0].Text);                                    // fused scores are normalised to the best one
    }

    [Fact]
    public void Fusion_is_reciprocal_rank_fusion_with_k_60()
    {
        var index = new SearchIndex(_catalog);
        var keyword = index.Search("red", 40, _ => true, null);
        Assert.True(keyword.Count >= 2);
        // The keyword list's second item also comes first by vector: 1/62 + 1/61 beats the keyword winner's 1/61.
        var second = keyword[1].Item;
        var hits = index.Search("red", 40, _ => true, null, semantic: [(second, 0.9f)]);
        Assert.Equal(second, hits[0].Item);
        Assert.Equal(keyword[0].Item, hits[1].Item);
        Assert.Equal((1f / 61) / (1f / 62 + 1f / 61), hits[1].Text, 5);
        Assert.DoesNotContain(index.Search("red", 40, i => i != second, null, semantic: [(second, 0.9f)]), h => h.Item == second);
    }
}
