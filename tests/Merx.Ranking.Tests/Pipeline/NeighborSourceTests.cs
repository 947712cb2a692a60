using Merx.Core.Contracts;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Tests.Pipeline;

public class NeighborSourceTests
{
    [Fact]
    public void Proposes_the_best_admissible_neighbours_only_each_with_its_anchor_however_many_of_the_best_are_not()
    {
        // Item 5's neighbours are 6, 7, 8, … with similarity 1, 1/2, 1/3, …; 6 and 8 are not admissible (seen, out of stock).
        var catalog = TinyShop.Catalog();
        var source = new NeighborSource(new CatalogScorer(new NextItemsKnn(), new IndexMapping(catalog.Ids, catalog)));
        var request = new RankingRequest { UserKey = "u", History = TinyShop.History(1_000_000, 5) };
        var context = new CandidateContext(request, catalog, [5], [], i => i != 6 && i != 8);
        var proposed = source.Propose(context, 4);
        Assert.Equal([7, 9, 10, 11], proposed.Select(c => c.Item));
        Assert.Equal([1f / 2, 1f / 4, 1f / 5, 1f / 6], proposed.Select(c => c.Score));
        Assert.All(proposed, c => Assert.Equal(5, c.Anchor));
        // Nothing admissible: nothing proposed; everything admissible: the neighbours in order.
        Assert.Empty(source.Propose(new CandidateContext(request, catalog, [5], [], _ => false), 4));
        Assert.Equal([6, 7, 8], source.Propose(new CandidateContext(request, catalog, [5], [], _ => true), 3).Select(c => c.Item));
    }
}
