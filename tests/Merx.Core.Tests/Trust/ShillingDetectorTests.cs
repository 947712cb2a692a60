using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Core.Trust;

namespace Merx.Core.Tests.Trust;

/// <summary>The fake-profile detector on small data sets whose answer is known (issue 20).</summary>
public sealed class ShillingDetectorTests
{
    [Fact]
    public void CoVisitation_FindsExactlyThePairsWithSupportLiftAndConfidence()
    {
        // Users 0..4 hold items 0, 1, 2 together; users 5..199 hold one of items 3..7 each.
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < 200; u++) lists.Add(u < 5 ? [0, 1, 2] : [3 + u % 5]);
        var data = UserSequences.FromLists(lists, 10);
        // Each pair of 0, 1, 2: 5 co-holders, lift 5 × 200 / (5 × 5) = 40, confidence 1.
        var c = CoVisitation.Find(data, minSupport: 5, minLift: 20, minConfidence: 0.7);
        Assert.Equal(3, c.Pairs);
        Assert.Equal([1, 2], c.PartnersOf(0).Order());
        Assert.Equal(3, c.CoordinatedItems([0, 1, 2, 3]));
        Assert.Equal(2, c.CoordinatedItems([0, 9, 1]));
        Assert.Equal(0, c.CoordinatedItems([0, 3]));
        Assert.Equal(0, CoVisitation.Find(data, minSupport: 6, minLift: 20, minConfidence: 0.7).Pairs);   // support 5 < 6
        Assert.Equal(0, CoVisitation.Find(data, minSupport: 5, minLift: 41, minConfidence: 0.7).Pairs);   // lift 40 < 41
    }

    [Fact]
    public void Robust_IsTheMedianAndTheNormalConsistentMad()
    {
        var (median, scale) = ShillingDetector.Robust([100, 2, 3, 1, 4]);
        Assert.Equal(3, median);
        Assert.Equal(1.4826, scale, 12);   // deviations 2, 1, 0, 1, 97: median 1
    }

    /// <summary>
    /// 600 genuine users with 5..15 items drawn with a popularity skew from items 0..279, 15 of whom also hold a
    /// genuine bundle (items 290, 291, 292); 20 fakes hold targets 280..283 plus 60 filler items uniform over 0..279.
    /// </summary>
    private static (UserSequences Data, HashSet<int> Fakes, HashSet<int> Bundle) Shop(int seed)
    {
        var rng = new Random(seed);
        var lists = new List<IReadOnlyList<int>>();
        var bundle = new HashSet<int>();
        for (var u = 0; u < 600; u++)
        {
            var items = new HashSet<int>();
            var length = rng.Next(5, 16);
            while (items.Count < length) items.Add((int)(280 * Math.Pow(rng.NextDouble(), 2.5)));
            if (u % 40 == 0) { items.UnionWith([290, 291, 292]); bundle.Add(u); }
            lists.Add(items.ToList());
        }
        var fakes = new HashSet<int>();
        for (var f = 0; f < 20; f++)
        {
            var items = new HashSet<int> { 280, 281, 282, 283 };
            while (items.Count < 64) items.Add(rng.Next(280));
            fakes.Add(lists.Count);
            lists.Add(items.ToList());
        }
        return (UserSequences.FromLists(lists, 300), fakes, bundle);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Detect_QuarantinesExactlyTheFakes_NotTheGenuineBundleHolders(int seed)
    {
        var (data, fakes, bundle) = Shop(seed);
        var result = ShillingDetector.Detect(data);
        Assert.Equal(fakes.Order(), result.Suspects.Order());
        // The bundle holders pass the group test (they hold a coordinated triple) and fail the individual one.
        Assert.All(bundle, u => Assert.True(result.Features[u].CoordinatedItems >= 3, $"user {u} holds the bundle"));
        Assert.All(bundle, u => Assert.True(result.Anomaly[u] < 3.5, $"user {u}: anomaly {result.Anomaly[u]:F2}"));
        Assert.All(fakes, u => Assert.Equal(4, result.Features[u].CoordinatedItems));
        Assert.True(double.IsNaN(result.Features[0].Burstiness), "positions are no clock");
    }

    [Fact]
    public void Detect_WithoutTheGroupEvidence_FlagsNobody_EvenOddProfiles()
    {
        var (data, fakes, _) = Shop(1);
        // The same odd profiles, each pushing its own items (no two fakes share a target): no coordinated group.
        var lists = Enumerable.Range(0, data.UserCount).Select(u => (IReadOnlyList<int>)data.ItemsOf(u).ToArray()
            .Where(i => !fakes.Contains(u) || i < 280 || i > 283).ToList()).ToList();
        var result = ShillingDetector.Detect(UserSequences.FromLists(lists, 300));
        Assert.DoesNotContain(result.Suspects, fakes.Contains);
    }

    [Fact]
    public void WithoutUsers_EmptiesTheirTraining_DropsTheirValidation_KeepsTest()
    {
        var data = UserSequences.FromLists([[0, 1, 2, 3], [1, 2, 3], [2, 3, 0, 1]], 4);
        var split = Splitter.LeaveOneOut(data);
        var q = Splitter.WithoutUsers(split, new HashSet<int> { 1 });
        Assert.Equal(3, q.Train.UserCount);
        Assert.Equal([0, 1], q.Train.ItemsOf(0).ToArray());
        Assert.Equal(0, q.Train.LengthOf(1));
        Assert.Equal([2, 3], q.Train.ItemsOf(2).ToArray());
        Assert.Equal([0, 2], q.Validation.Select(c => c.User));
        Assert.Equal(split.Test, q.Test);
    }
}
