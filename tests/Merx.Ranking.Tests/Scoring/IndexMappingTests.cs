using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Tests.Scoring;

public class IndexMappingTests
{
    private static CatalogIndex Catalog(params string[] ids) => new(ids, ids.Select(_ => (Merx.Core.Domain.Item?)null).ToArray());

    [Fact]
    public void A_model_of_the_whole_catalog_in_its_order_shares_one_array_both_ways()
    {
        var catalog = Catalog("a", "b", "c");
        var mapping = new IndexMapping(["a", "b", "c"], catalog);
        Assert.Same(mapping.ModelToCatalog, mapping.CatalogToModel);
        Assert.Equal([0, 1, 2], mapping.CatalogToModel);
        Assert.Equal([2, 0], mapping.ToModel([2, 0]));
    }

    [Fact]
    public void Any_other_model_maps_both_ways_with_unknown_items_at_minus_one()
    {
        var catalog = Catalog("a", "b", "c");
        foreach (string[] ids in new[] { new[] { "b", "a", "c" }, ["a", "b"], ["a", "x", "c"], ["a", "b", "c", "d"] })
        {
            var mapping = new IndexMapping(ids, catalog);
            Assert.NotSame(mapping.ModelToCatalog, mapping.CatalogToModel);
            for (var j = 0; j < ids.Length; j++) Assert.Equal(catalog.IndexOf(ids[j]), mapping.ModelToCatalog[j]);
            for (var c = 0; c < 3; c++) Assert.Equal(Array.IndexOf(ids, catalog.Id(c)), mapping.CatalogToModel[c]);
        }
    }
}
