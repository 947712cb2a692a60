using Merx.Core.Contracts;

namespace Merx.Core.Tests;

public class TopKHeapTests
{
    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 50)]
    [InlineData(5, 3)]
    [InlineData(10, 1000)]
    [InlineData(100, 100)]
    [InlineData(37, 5000)]
    public void StreamedInAnyOrder_KeepsTheKBest_TiesToTheLowerItem(int k, int n)
    {
        var rng = new Random(k * 7 + n);
        // Few distinct values so ties are common; some −∞ and NaN that must never enter.
        var scores = Enumerable.Range(0, n).Select(_ => rng.Next(12) switch { 0 => float.NegativeInfinity, 1 => float.NaN, var v => (float)(v % 5) }).ToArray();
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var heap = new TopKHeap(k);
        foreach (var i in order) heap.Offer(i, scores[i]);
        var expected = Enumerable.Range(0, n).Where(i => scores[i] > float.NegativeInfinity)
            .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
        Assert.Equal(expected, heap.ToSortedArray().Select(s => s.Item).ToArray());
        Assert.Equal(expected, TopK.Select(scores, k).Select(s => s.Item).ToArray());
    }

    [Fact]
    public void Admits_SaysWhetherAnOfferWouldBeKept()
    {
        var heap = new TopKHeap(2);
        Assert.True(heap.Admits(5, 1f));
        heap.Offer(5, 1f); heap.Offer(6, 2f);
        Assert.False(heap.Admits(7, 0.5f));
        Assert.False(heap.Admits(7, 1f));      // tie with item 5: the lower id stays
        Assert.True(heap.Admits(4, 1f));       // tie, lower id: would replace item 5
        Assert.True(heap.Admits(9, 1.5f));
        Assert.False(heap.Admits(1, float.NaN));
        Assert.False(new TopKHeap(0).Admits(0, 1f));
    }
}

public class CosineNeighboursTests
{
    [Theory]
    [InlineData(5_000, 64, 10, false)]   // crosses the 2,048-row blocks
    [InlineData(300, 12, 400, false)]    // k above n − 1; d off the vector width
    [InlineData(5_000, 64, 10, true)]    // an int8 table: the cosines of its dequantized rows
    [InlineData(300, 12, 400, true)]
    public void Are_the_rows_of_highest_cosine_without_the_item_itself_ties_to_the_lower_row(int n, int d, int k, bool int8)
    {
        var rng = new Random(n + d);
        // Eight row patterns repeated (exact ties), the last all zero (cosine 0), and the query's own pattern elsewhere too.
        var patterns = Enumerable.Range(0, 8).Select(p => Enumerable.Range(0, d).Select(_ => p == 7 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var pattern = Enumerable.Range(0, n).Select(_ => rng.Next(8)).ToArray();
        var rows = pattern.SelectMany(p => patterns[p]).ToArray();
        var table = int8 ? Merx.Numerics.VectorTable.Quantize(rows, d) : Merx.Numerics.VectorTable.OfFloats(rows, n, d);
        if (int8) patterns = patterns.Select(p => Merx.Numerics.VectorTable.Quantize(p, d).RowCopy(0)).ToArray();
        const int item = 1_234 % 300;
        var cosine = patterns.Select(p => Cosine(patterns[pattern[item]], p)).ToArray();
        var expected = Enumerable.Range(0, n).Where(r => r != item)
            .OrderByDescending(r => Math.Round(cosine[pattern[r]], 5)).ThenBy(r => r).Take(k).ToArray();

        var found = TopK.CosineNeighbours(table, item, k);

        Assert.Equal(expected, found.Select(s => s.Item).ToArray());
        for (var i = 0; i < found.Length; i++) Assert.Equal(cosine[pattern[found[i].Item]], found[i].Score, 4);
        Assert.Empty(TopK.CosineNeighbours(table, n, k));
        Assert.Empty(TopK.CosineNeighbours(table, item, 0));
        var zero = Array.IndexOf(pattern, 7);                       // an all-zero row: nothing is similar to it
        Assert.Empty(TopK.CosineNeighbours(table, zero, k));
    }

    [Fact]
    public void Floor_IsTheLowestKeptScoreOnceFull_AndNothingBelowItIsAdmitted()
    {
        var heap = new TopKHeap(3);
        Assert.Equal(float.NegativeInfinity, heap.Floor);
        heap.Offer(1, 5f); heap.Offer(2, 2f);
        Assert.Equal(float.NegativeInfinity, heap.Floor);   // not full: anything finite enters
        heap.Offer(3, 4f);
        Assert.Equal(2f, heap.Floor);
        Assert.False(heap.Admits(0, 1.9f));
        Assert.True(heap.Admits(0, 2f));                    // a tie enters with a lower id …
        Assert.False(heap.Admits(9, 2f));                   // … not with a higher one
        heap.Offer(4, 3f);
        Assert.Equal(3f, heap.Floor);
        Assert.Equal(float.PositiveInfinity, new TopKHeap(0).Floor);
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
        return aa > 0 && bb > 0 ? dot / Math.Sqrt(aa * bb) : 0;
    }
}
