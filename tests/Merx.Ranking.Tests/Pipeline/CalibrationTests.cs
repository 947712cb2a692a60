using Merx.Core.Domain;
using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Tests.Pipeline;

/// <summary>
/// Steck's calibration on hand-computed cases (issue 23, "Data bias"): items 0 and 1 are in category 0,
/// items 2 and 3 in category 1, item 4 in both; the history's distribution is (½, ½).
/// </summary>
public class CalibrationTests
{
    private static readonly int[][] Categories = [[0], [0], [1], [1], [0, 1]];

    // KL((½, ½) ‖ (0.99·(1, 0) + 0.01·(½, ½))) = ½ ln(0.5/0.995) + ½ ln(0.5/0.005), computed in Python.
    private const double OneSidedKl = 1.9585177736258452;

    [Fact]
    public void Distribution_SpreadsEachItemEvenlyOverItsCategories()
    {
        Assert.Equal([0.75, 0.25], Calibration.Distribution([0, 4], Categories, 2));
        Assert.Equal([0.0, 0.0], Calibration.Distribution([7], Categories, 2));
    }

    [Fact]
    public void Kl_IsSmoothedTowardTheHistory()
    {
        Assert.Equal(OneSidedKl, Calibration.Kl([0.5, 0.5], [1.0, 0.0]), 12);
        Assert.Equal(0.0, Calibration.Kl([0.5, 0.5], [3.0, 3.0], qTotal: 6), 12);
        // An empty list: q̃ = 0.01·p, so KL = ln 100.
        Assert.Equal(Math.Log(100), Calibration.Kl([0.5, 0.5], [0.0, 0.0], qTotal: 0), 12);
    }

    [Theory]
    // The second slot: item 1 adds relevance 0.9 but keeps the list one-sided (KL 1.9585…), item 2 adds 0.8 and
    // calibrates it (KL 0): item 2 wins once λ·1.9585 > (1 − λ)·0.1, i.e. above λ* = 0.1/2.0585 = 0.04858.
    [InlineData(0.0, new[] { 0, 1 })]
    [InlineData(0.04, new[] { 0, 1 })]
    [InlineData(0.06, new[] { 0, 2 })]
    [InlineData(0.5, new[] { 0, 2 })]
    public void Rerank_TradesRelevanceForCalibrationAtSteckSWeight(double lambda, int[] expected)
    {
        int[] candidates = [0, 1, 2, 3];
        float[] scores = [1f, 0.9f, 0.8f, 0f];
        Assert.Equal(expected, Calibration.Rerank(candidates, scores, Categories, [0.5, 0.5], 2, lambda));
    }

    [Fact]
    public void Rerank_NormalisesScores_SoTheScaleOfAModelDoesNotMoveTheTradeOff()
    {
        int[] candidates = [0, 1, 2, 3];
        float[] counts = [1000f, 900f, 800f, 0f];   // popularity counts: the same order, 1000 × the scale
        Assert.Equal([0, 1], Calibration.Rerank(candidates, counts, Categories, [0.5, 0.5], 2, 0.04));
        Assert.Equal([0, 2], Calibration.Rerank(candidates, counts, Categories, [0.5, 0.5], 2, 0.06));
    }

    [Fact]
    public void Rerank_RejectsLambdaOutsideTheUnitInterval() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Rerank([0], [1f], Categories, [1.0, 0.0], 1, 1.5));

    [Fact]
    public void Categories_AreGenresWhenTheTagsHoldTheCategory_ElseTheLeafCategory()
    {
        Item?[] catalog =
        [
            new Item { Id = "film", CategoryPath = ["Action"], Tags = ["Action", "Comedy"] },   // MovieLens: genres as tags
            new Item { Id = "shoe", CategoryPath = ["Shoes", "Boots"], Tags = ["sale"] },        // a shop: the leaf category
            new Item { Id = "anon", Tags = ["t1", "t2"] },                                         // Amazon: no categories
            null,
        ];
        var (ids, names) = Calibration.Categories(catalog);
        Assert.Equal(["Action", "Comedy", "Boots"], names);
        Assert.Equal([0, 1], ids[0]);
        Assert.Equal([2], ids[1]);
        Assert.Empty(ids[2]);
        Assert.Empty(ids[3]);
    }
}
