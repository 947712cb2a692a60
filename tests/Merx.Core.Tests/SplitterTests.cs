using Merx.Core.Data;
using Merx.Core.Splits;

namespace Merx.Core.Tests;

public class SplitterTests
{
    private static UserSequences Seq(params int[][] users) => UserSequences.FromLists(users, 10);

    [Fact]
    public void LeaveOneOut_HoldsOutLastForTestAndSecondLastForValidation()
    {
        var split = Splitter.LeaveOneOut(Seq([1, 2, 3, 4], [5, 6], [7, 8, 9]));
        Assert.Equal([1, 2], split.Train.ItemsOf(0).ToArray());
        Assert.Equal([5, 6], split.Train.ItemsOf(1).ToArray()); // < 3 items: train only
        Assert.Equal([7], split.Train.ItemsOf(2).ToArray());
        Assert.Equal(2, split.Test.Count);
        Assert.Equal([1, 2, 3], split.Test[0].Input);
        Assert.Equal([4], split.Test[0].Targets);
        Assert.Equal([1, 2], split.Validation[0].Input);
        Assert.Equal([3], split.Validation[0].Targets);
        Assert.Equal(2, split.Test[1].User);
    }

    [Fact]
    public void RandomHoldout_IsDeterministicPerSeed_AndPartitionsEachUser()
    {
        var seq = Seq([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        var a = Splitter.RandomHoldout(seq, 0.2, 0.2, seed: 7);
        var b = Splitter.RandomHoldout(seq, 0.2, 0.2, seed: 7);
        Assert.Equal(a.Train.Items, b.Train.Items);
        foreach (var c in a.Test) Assert.Empty(c.Targets.Intersect(c.Input));
        var heldOut = a.Test.Sum(c => c.Targets.Length) + a.Validation.Sum(c => c.Targets.Length);
        Assert.Equal(seq.EventCount, a.Train.EventCount + heldOut);
    }

    [Fact]
    public void Temporal_UsesOneGlobalCutoff()
    {
        // user 0 acts early, user 1 late: only user 1 can have test targets.
        var log = new EventLog([0, 0, 0, 1, 1, 1], [1, 2, 3, 4, 5, 6], new Merx.Core.Domain.EventKind[6], [1, 2, 3, 100, 200, 300], new float[6], [-1, -1, -1, -1, -1, -1]);
        var seq = UserSequences.FromLog(log, 2, 10);
        var split = Splitter.Temporal(seq, 0.2, 0.2);
        Assert.All(split.Test, c => Assert.Equal(1, c.User));
        Assert.Equal([5, 6], split.Test.Single().Targets); // cutoff at the 80% time quantile (t = 200)
    }

    [Fact]
    public void Sequences_AreStableForEqualTimestamps()
    {
        var log = new EventLog([0, 0, 0, 0], [3, 1, 2, 0], new Merx.Core.Domain.EventKind[4], [5, 5, 1, 5], new float[4], [-1, -1, -1, -1]);
        var seq = UserSequences.FromLog(log, 1, 4);
        Assert.Equal([2, 3, 1, 0], seq.ItemsOf(0).ToArray());
    }

    [Fact]
    public void HideItems_RemovesHiddenTargetsFromTraining_AndTestsOnlyThem()
    {
        var lists = Enumerable.Range(0, 200).Select(u => (IReadOnlyList<int>)new[] { u % 7, (u + 1) % 7, 7 + u % 3 }).ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, 10));
        var cold = Splitter.HideItems(split, 0.5, seed: 3);
        var hidden = cold.Test.SelectMany(c => c.Targets).ToHashSet();
        Assert.NotEmpty(hidden);
        Assert.DoesNotContain(cold.Train.Items, hidden.Contains);
        Assert.All(cold.Validation, c => Assert.DoesNotContain(c.Targets, hidden.Contains));
        Assert.True(cold.Test.Count < split.Test.Count);
        // The other test cases are kept apart, in order, so the same fit can be reported on them too.
        Assert.NotNull(cold.WarmTest);
        Assert.All(cold.WarmTest, c => Assert.DoesNotContain(c.Targets, hidden.Contains));
        Assert.Equal(split.Test.Where(c => !c.Targets.Any(hidden.Contains)).Select(c => c.User), cold.WarmTest.Select(c => c.User));
        Assert.Equal(split.Test.Count, cold.Test.Count + cold.WarmTest.Count);
        Assert.Null(split.WarmTest);
        // The hidden items are the split's new arrivals; the fixed catalog of the plain split has none.
        Assert.Equal(hidden.Order(), cold.NewItems.Order());
        Assert.Empty(split.NewItems);
    }

    [Fact]
    public void A_live_catalogs_new_arrivals_are_its_items_created_within_the_new_item_window_or_of_unknown_age()
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        Merx.Core.Domain.Item Made(string id, double? daysAgo) => new() { Id = id, CreatedAt = daysAgo is { } d ? now.AddDays(-d) : null };
        var catalog = new Merx.Core.Domain.Item?[] { Made("old", 31), Made("fresh", 2), Made("undated", null), null, Made("edge", Merx.Core.Domain.Item.NewForDays) };
        Assert.Equal([1, 2, 3, 4], Merx.Core.Contracts.TrainingData.ArrivalsByDate(catalog, now)!.Order());
        // No item known to be older: no arrival information at all.
        Assert.Null(Merx.Core.Contracts.TrainingData.ArrivalsByDate([Made("fresh", 1), Made("undated", null)], now));
    }
}
