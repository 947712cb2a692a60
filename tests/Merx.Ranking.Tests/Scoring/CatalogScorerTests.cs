using Merx.Core.Contracts;
using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Tests.Scoring;

/// <summary>The catalog scorer with the real Transformer and item-kNN on a generated shop (issue 16, issue 17).</summary>
public class CatalogScorerTests(GeneratedShop shop) : IClassFixture<GeneratedShop>
{
    private static readonly int[] Users = [0, 7, 19, 42, 77];

    private static void SameTop((int Item, float Score)[] expected, ScoredItem[] actual)
    {
        Assert.Equal(expected.Select(e => e.Item), actual.Select(a => a.Item));
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Score, actual[i].Score, 1e-4f);
    }

    [Fact]
    public void ExactTop_EqualsTheModelsOwnScorePass_MappedByIdIntoTheCatalog()
    {
        var scorer = shop.Scorer();
        foreach (var u in Users)
        {
            var history = shop.Histories[u];
            var unseen = new HashSet<int>(history);
            bool Admissible(int c) => !unseen.Contains(c);
            var top = scorer.Top(scorer.Encode(history), 15, Admissible);
            SameTop(shop.Reference(shop.Transformer, history, 15, Admissible), top);
        }
    }

    [Fact]
    public void InvertedFile_ProbingEveryCluster_GivesTheExactTopK_AndOneProbeNeverInventsScores()
    {
        var exact = shop.Scorer();
        var ivf = shop.Scorer(clusters: 12);
        Assert.Equal(12, ((Merx.Ranking.Retrieval.IvfIndex)ivf.Index!).Clusters);
        var anyMissed = false;
        foreach (var u in Users)
        {
            var history = shop.Histories[u];
            bool Admissible(int c) => c % 5 != 0;   // a filter, so the index's admissibility check is exercised
            var reference = exact.Top(exact.Encode(history), 10, Admissible);
            var user = ivf.Encode(history);
            Assert.Equal(exact.Encode(history).Values, user.Values);
            var all = ivf.Top(user, 10, Admissible, probes: 12);
            Assert.Equal(reference.Select(r => r.Item), all.Select(r => r.Item));
            for (var i = 0; i < reference.Length; i++) Assert.Equal(reference[i].Score, all[i].Score, 1e-5f);
            // exact: true on the same scorer skips the index.
            Assert.Equal(reference.Select(r => r.Item), ivf.Top(user, 10, Admissible, exact: true).Select(r => r.Item));

            var one = ivf.Top(user, 10, Admissible, probes: 1);
            Assert.All(one, s => Assert.True(Admissible(s.Item)));
            Assert.All(one, s => Assert.Equal(exact.Score(exact.Encode(history), s.Item), s.Score, 1e-5f));
            anyMissed |= !one.Select(s => s.Item).SequenceEqual(reference.Select(r => r.Item));
        }
        // One cluster of twelve cannot hold every user's exact top 10: the probes setting must matter.
        Assert.True(anyMissed, "one probe found the exact top 10 for every user: the index is not being probed");
    }

    [Fact]
    public void HnswAndInt8Scan_GiveTheExactTopK_OnTheShop_WithTheExactScanAsReference()
    {
        // Issue 21: the serving index beside its reference twin. A shop of this size sits far below
        // the graph's expansion (128) and the scan's 100 candidates, so both must find the exact top 10.
        var exact = shop.Scorer();
        var indexed = new[]
        {
            shop.Scorer(v => Merx.Ranking.Retrieval.HnswIndex.Build(v)),
            shop.Scorer(v => Merx.Ranking.Retrieval.HnswIndex.Build(v, new Merx.Ranking.Retrieval.HnswOptions(Merx.Ranking.Retrieval.HnswStorage.Int8))),
            shop.Scorer(v => Merx.Ranking.Retrieval.Int8ScanIndex.Build(v)),
        };
        foreach (var u in Users)
        {
            var history = shop.Histories[u];
            bool Admissible(int c) => c % 5 != 0;
            var reference = exact.Top(exact.Encode(history), 10, Admissible, exact: true);
            foreach (var scorer in indexed)
            {
                var found = scorer.Top(scorer.Encode(history), 10, Admissible);
                Assert.Equal(reference.Select(r => r.Item), found.Select(r => r.Item));
                for (var i = 0; i < reference.Length; i++) Assert.Equal(reference[i].Score, found[i].Score, 1e-5f);
            }
        }
    }

    [Fact]
    public void TheInt8Copy_ThroughEveryIndex_GivesTheExactTopK_OfItsOwnInt8Rows()
    {
        // Issue 21: an int8 copy serves from its int8 rows alone; the indexes build from them and re-rank with them, so
        // their answers are the exact pass over the same rows, scores included.
        var exact = shop.Scorer(null, int8: true);
        Assert.True(exact.Encoder!.ItemVectors.IsInt8);
        var indexed = new[]
        {
            shop.Scorer(v => Merx.Ranking.Retrieval.HnswIndex.Build(v), int8: true),
            shop.Scorer(v => Merx.Ranking.Retrieval.HnswIndex.Build(v, new Merx.Ranking.Retrieval.HnswOptions(Merx.Ranking.Retrieval.HnswStorage.Int8)), int8: true),
            shop.Scorer(v => Merx.Ranking.Retrieval.Int8ScanIndex.Build(v), int8: true),
        };
        var scratch = new float[exact.Dimension];
        foreach (var u in Users)
        {
            var history = shop.Histories[u];
            bool Admissible(int c) => c % 5 != 0;
            var user = exact.Encode(history);
            var reference = exact.Top(user, 10, Admissible, exact: true);
            // The exact pass scores with the dequantized rows.
            foreach (var r in reference)
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(user.Values, exact.ItemVector(r.Item, scratch)), r.Score, 1e-4f);
            foreach (var scorer in indexed)
            {
                var found = scorer.Top(scorer.Encode(history), 10, Admissible);
                Assert.Equal(reference.Select(r => r.Item), found.Select(r => r.Item));
                for (var i = 0; i < reference.Length; i++) Assert.Equal(reference[i].Score, found[i].Score, 1e-5f);
            }
        }
    }

    [Fact]
    public void ModelSource_FullPassIndexAndAllowedSet_AgreeWithTheReference_AndLeaveTheUserVector()
    {
        var exact = shop.Scorer();
        var ivf = shop.Scorer(clusters: 12, probes: 12);
        var request = shop.Request(7);
        var history = shop.Histories[7];
        var seen = new HashSet<int>(history);
        bool Admissible(int c) => !seen.Contains(c);
        var reference = shop.Reference(shop.Transformer, history, 50, Admissible);
        foreach (var scorer in new[] { exact, ivf })
        {
            var context = new CandidateContext(request, shop.Catalog, history.Distinct().ToArray(), [], Admissible);
            var proposed = new ModelSource("transformer", scorer).Propose(context, 50);
            SameTop(reference, proposed.Select(p => new ScoredItem(p.Item, p.Score)).ToArray());
            Assert.True(context.UserVector is { } v && v.From(scorer));
            // The vector is the model's for the whole history (duplicates included), mapped into model indices.
            var modelHistory = history.Select(c => Array.IndexOf(shop.ModelIds, shop.Catalog.Id(c))).ToArray();
            var expected = new float[shop.Transformer.Dimension];
            shop.Transformer.EncodeUser(-1, modelHistory, expected);
            Assert.Equal(expected, context.UserVector!.Value.Values);
        }

        // A category filter (allowed set) is scored item by item, with the same answer as the full pass restricted to it.
        var category = shop.Catalog.Category(history[^1]);
        var allowed = new HashSet<int>(Enumerable.Range(0, shop.Catalog.Count).Where(c => shop.Catalog.Category(c) == category));
        bool InCategory(int c) => Admissible(c) && allowed.Contains(c);
        var narrowed = new CandidateContext(request with { Allowed = allowed }, shop.Catalog, history.Distinct().ToArray(), [], InCategory);
        var inCategory = new ModelSource("transformer", ivf).Propose(narrowed, 5);
        SameTop(shop.Reference(shop.Transformer, history, 5, InCategory), inCategory.Select(p => new ScoredItem(p.Item, p.Score)).ToArray());
    }

    [Fact]
    public void NeighborSourceAndSimilarItems_AreItemKnnMappedIntoTheCatalog()
    {
        var knn = shop.KnnScorer();
        var anchor = shop.Histories[3][^1];
        var model = Array.IndexOf(shop.ModelIds, shop.Catalog.Id(anchor));
        var expected = shop.Knn.SimilarItems(model, 8).Select(s => (shop.Catalog.IndexOf(shop.ModelIds[s.Item]), s.Score)).ToArray();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, knn.Similar(anchor, 8).Select(s => (s.Item, s.Score)));
        Assert.Empty(knn.Similar(Enumerable.Range(0, shop.Catalog.Count).First(c => !knn.Knows(c)), 8));

        // Item-kNN has no user vectors: the model source scores through its own pass.
        var history = shop.Histories[3];
        var seen = new HashSet<int>(history);
        bool Admissible(int c) => !seen.Contains(c);
        var context = new CandidateContext(shop.Request(3), shop.Catalog, history.Distinct().ToArray(), [], Admissible);
        var proposed = new ModelSource("itemknn-as-model", knn).Propose(context, 20);
        var reference = shop.Reference(shop.Knn, history, 20, Admissible);
        Assert.Equal(reference.Select(r => r.Item), proposed.Select(p => p.Item));
        Assert.Null(context.UserVector);
    }

    [Fact]
    public void ItemRows_AreTheModelsVectors_ByCatalogIndex_WithoutACopy()
    {
        var scorer = shop.Scorer();
        var slot = new ItemVectorSlot(scorer.Dimension);
        var scratch = new float[scorer.Dimension];
        Assert.True(slot.Row(0, scratch).IsEmpty);
        slot.Point(scorer);
        var d = scorer.Dimension;
        var unknown = 0;
        for (var c = 0; c < shop.Catalog.Count; c++)
        {
            var j = Array.IndexOf(shop.ModelIds, shop.Catalog.Id(c));
            if (j < 0) { Assert.True(slot.Row(c, scratch).IsEmpty); unknown++; continue; }
            Assert.True(slot.Row(c, scratch).SequenceEqual(shop.Transformer.ItemVectors.Floats.Slice(j * d, d)));
        }
        Assert.True(unknown > 0, "the generated catalog should hold items no model saw");
        Assert.Throws<ArgumentException>(() => new ItemVectorSlot(d + 1).Point(scorer));
        Assert.Throws<ArgumentException>(() => scorer.Top(shop.Scorer().Encode(shop.Histories[0]), 5, _ => true));
    }
}
