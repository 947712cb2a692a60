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

    /// <summary>
    /// A shop with taste: 600 genuine users in four taste groups (items 0..279 in four blocks of 70), each holding 5..15
    /// items, 80 % from its own block and 20 % from anywhere, with a popularity skew; 15 of them also hold a genuine
    /// bundle (items 290, 291, 292). <paramref name="fakes"/> camouflaged fakes each hold targets 280..283 and copy a
    /// random genuine user's length, the rest filler: uniform over 0..279 (random attack) or by the shop's popularity
    /// skew (average attack), following no taste.
    /// </summary>
    private static (UserSequences Data, HashSet<int> Fakes) TasteShop(int seed, int fakes, bool average)
    {
        var rng = new Random(seed);
        int Skewed(int n, double power) => (int)(n * Math.Pow(rng.NextDouble(), power));
        var lists = new List<IReadOnlyList<int>>();
        var lengths = new List<int>();
        for (var u = 0; u < 600; u++)
        {
            var items = new HashSet<int>();
            var length = rng.Next(5, 16);
            while (items.Count < length) items.Add(rng.NextDouble() < 0.8 ? 70 * (u % 4) + Skewed(70, 2) : Skewed(280, 2.5));
            if (u % 40 == 0) items.UnionWith([290, 291, 292]);
            lists.Add(items.ToList());
            lengths.Add(length);
        }
        var fakeUsers = new HashSet<int>();
        for (var f = 0; f < fakes; f++)
        {
            var items = new HashSet<int> { 280, 281, 282, 283 };
            var length = lengths[rng.Next(lengths.Count)];
            while (items.Count < length) items.Add(average ? Skewed(280, 2.5) : rng.Next(280));
            fakeUsers.Add(lists.Count);
            lists.Add(items.ToList());
        }
        return (UserSequences.FromLists(lists, 300), fakeUsers);
    }

    [Theory]
    [InlineData(1, false, 16, 7)]
    [InlineData(2, false, 17, 11)]
    [InlineData(1, true, 11, 9)]
    [InlineData(2, true, 10, 10)]
    public void Detect_QuarantinesAPlantedCamouflagedGroup_Exactly(int seed, bool average, int individuallyOdd, int oddWithoutTaste)
    {
        var (data, fakes) = TasteShop(seed, 20, average);
        var result = ShillingDetector.Detect(data);
        Assert.Equal(fakes.Order(), result.Suspects.Order());
        // Two groups: the fakes (targets 280..283) and the genuine bundle's 15 holders; only the fakes' is quarantined.
        Assert.Equal(2, result.Groups.Count);
        Assert.Equal(1, result.FlaggedGroups);
        var bundle = result.Groups.Single(g => !g.Any(fakes.Contains));
        Assert.Equal(Enumerable.Range(0, 600).Where(u => u % 40 == 0), bundle);
        Assert.True(bundle.Count(u => result.Odd[u]) < bundle.Length / 2.0, "the bundle's holders are ordinary users");
        // Camouflaged fakes: only some are odd on their own (length, popularity, taste, share of targets); the rest are
        // caught with their group. Without the taste feature fewer are odd, and the group may escape.
        Assert.Equal(individuallyOdd, fakes.Count(u => result.Odd[u]));
        var noTaste = ShillingDetector.Detect(data, new DetectorOptions { MinTasteAnomaly = double.PositiveInfinity });
        Assert.Equal(oddWithoutTaste, fakes.Count(u => noTaste.Odd[u]));
        Assert.Equal(oddWithoutTaste >= 10 ? fakes.Order() : [], noTaste.Suspects.Order());
    }

    [Fact]
    public void Detect_OnGenuineData_FlagsNobody()
    {
        var (data, fakes) = TasteShop(3, 0, false);
        Assert.Empty(fakes);
        var result = ShillingDetector.Detect(data);
        Assert.Empty(result.Suspects);
        Assert.Equal(3, result.CoordinatedPairs);   // the bundle's three pairs
        Assert.Single(result.Groups);
        Assert.Equal(0, result.FlaggedGroups);
    }

    [Fact]
    public void TasteSimilarity_IsTheMeanCosineWithTheClosestUsers_OutsideCoordinatedItems()
    {
        // u0 {0, 1, 2}, u1 {0, 1}, u2 {2, 3}, u3 {4}. No coordinated pairs (support 100).
        var data = UserSequences.FromLists([[0, 1, 2, 1], [0, 1], [2, 3], [4]], 5);
        var f = ProfileFeatures.Compute(data, CoVisitation.Find(data, minSupport: 100, minLift: 20, minConfidence: 0.5));
        // u0: with u1 2/√(3·2), with u2 1/√(3·2); two neighbours.
        Assert.Equal((2 / Math.Sqrt(6) + 1 / Math.Sqrt(6)) / 2, f[0].TasteSimilarity, 12);
        Assert.Equal(3, f[0].TasteItems);
        Assert.Equal(0, f[3].TasteSimilarity);   // nobody else holds item 4
        // With 0 and 1 coordinated (users 5..9 hold both, lift 12·… high): u0 counts only item 2.
        var lists = new List<IReadOnlyList<int>> { new[] { 0, 1, 2 }, new[] { 2, 3 } };
        for (var u = 0; u < 5; u++) lists.Add([0, 1]);
        for (var u = 0; u < 200; u++) lists.Add([5 + u % 5]);
        var d2 = UserSequences.FromLists(lists, 10);
        var c = CoVisitation.Find(d2, minSupport: 5, minLift: 20, minConfidence: 0.5);
        Assert.Equal(1, c.Pairs);
        var f2 = ProfileFeatures.Compute(d2, c);
        Assert.Equal((2, 1), (f2[0].CoordinatedItems, f2[0].TasteItems));
        Assert.Equal(1 / Math.Sqrt(1 * 2), f2[0].TasteSimilarity, 12);   // item 2 is shared with u1 only
        Assert.True(double.IsNaN(f2[2].TasteSimilarity), "a profile of coordinated items only has no taste items");
    }

    [Fact]
    public void Groups_AreTheComponents_AndAUserJoinsTheOneWhereItHoldsMost()
    {
        // Users 0..5 hold items 0, 1, 2; users 6..11 hold items 3..6; user 12 holds all seven; user 13 holds 0, 1, 3, 4
        // (four coordinated items, but two per component); 200 others hold one of items 7..11.
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < 6; u++) lists.Add([0, 1, 2]);
        for (var u = 0; u < 6; u++) lists.Add([3, 4, 5, 6]);
        lists.Add([0, 1, 2, 3, 4, 5, 6]);
        lists.Add([0, 1, 3, 4]);
        for (var u = 0; u < 200; u++) lists.Add([7 + u % 5]);
        var data = UserSequences.FromLists(lists, 12);
        var c = CoVisitation.Find(data, minSupport: 5, minLift: 20, minConfidence: 0.5);
        Assert.Equal(3 + 6, c.Pairs);   // a triangle and a 4-clique; 0–3 and the like have 2 co-holders of 8
        var groups = ShillingDetector.Groups(data, c, minItems: 3);
        Assert.Equal(2, groups.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], groups[0]);
        Assert.Equal([6, 7, 8, 9, 10, 11, 12], groups[1]);
    }

    [Fact]
    public void TasteAnomaly_IsARobustZWithinLengthBins()
    {
        // 10 users with 1 taste item, 10 with 2: two bins (ties stay together). Similarities 0.09, 0.19, … in the first.
        var f = new ProfileFeatures[20];
        for (var u = 0; u < 20; u++)
            f[u] = new ProfileFeatures(3, 0, 0, 0, double.NaN, double.NaN, u < 10 ? 0.1 * (u + 1) - 0.01 : 0.5 + 0.01 * u, u < 10 ? 1 : 2);
        var z = ShillingDetector.TasteAnomalyScores(f);
        var (median, scale) = ShillingDetector.Robust(Enumerable.Range(0, 10).Select(u => Math.Log(f[u].TasteSimilarity + 0.01)).ToArray());
        Assert.Equal((median - Math.Log(0.1)) / scale, z[0], 12);
        Assert.Equal(0, z[9]);   // above its bin's median: not odd
        var (m2, s2) = ShillingDetector.Robust(Enumerable.Range(10, 10).Select(u => Math.Log(f[u].TasteSimilarity + 0.01)).ToArray());
        Assert.Equal((m2 - Math.Log(0.61)) / s2, z[10], 12);
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
        // A cold split stays one: its warm cases and new arrivals go along.
        var cold = split with { WarmTest = split.Test, NewItems = new HashSet<int> { 3 } };
        var quarantined = Splitter.WithoutUsers(cold, new HashSet<int> { 1 });
        Assert.Same(cold.WarmTest, quarantined.WarmTest);
        Assert.Same(cold.NewItems, quarantined.NewItems);
    }
}
