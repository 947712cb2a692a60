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
