using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Preprocessing;

namespace Merx.Core.Tests.Preprocessing;

public class PreprocessTests
{
    private static Dataset Build(params (string User, string Item, long Time)[] events)
    {
        var b = new DatasetBuilder();
        foreach (var (u, i, t) in events) b.AddEvent(new RawEvent(u, i, EventKind.View, t));
        return b.Build();
    }

    [Fact]
    public void RemoveDuplicates_KeepsFirst_AndReports()
    {
        var (data, report) = Preprocess.RemoveDuplicates(Build(("a", "x", 1), ("a", "x", 1), ("a", "x", 2)));
        Assert.Equal(2, data.Events.Count);
        Assert.Equal(1, report.Removed);
    }

    [Fact]
    public void KCore_IteratesUntilStable()
    {
        // c's only item y has one event; removing it leaves b with one event, which then goes too.
        var (data, report) = Preprocess.KCore(Build(("a", "x", 1), ("a", "z", 2), ("b", "x", 3), ("b", "y", 4), ("d", "x", 5), ("d", "z", 6)), 2, 2);
        Assert.Equal(["a", "d"], data.Users.Ids);
        Assert.Equal(4, data.Events.Count);
        Assert.Equal(2, report.Removed);
        Assert.Equal(-1, data.Items.IndexOf("y"));
    }

    [Fact]
    public void Sessionize_SplitsOnInactivityGap()
    {
        var data = Preprocess.Sessionize(Build(("a", "x", 0), ("a", "y", 600), ("a", "z", 600 + 1801), ("b", "x", 10)), TimeSpan.FromMinutes(30));
        var sessionOf = Enumerable.Range(0, data.Events.Count).ToDictionary(i => (data.Users[data.Events.User[i]], data.Events.Timestamp[i]), i => data.Events.Session[i]);
        Assert.Equal(sessionOf[("a", 0)], sessionOf[("a", 600)]);
        Assert.NotEqual(sessionOf[("a", 600)], sessionOf[("a", 2401)]);
        Assert.NotEqual(sessionOf[("a", 0)], sessionOf[("b", 10)]);
    }

    [Fact]
    public void Chronological_IsStableForEqualTimes()
    {
        var data = Preprocess.Chronological(Build(("a", "x", 5), ("b", "y", 1), ("c", "z", 5)));
        Assert.Equal([1L, 5, 5], data.Events.Timestamp);
        Assert.Equal(["b", "a", "c"], data.Events.User.Select(u => data.Users[u]).ToArray());
    }

    [Fact]
    public void MissingAttributes_GiveNoFeature()
    {
        var catalog = new Item?[] { new() { Id = "a", Brand = "acme", Price = 10 }, new() { Id = "b" }, null };
        var f = ItemFeatures.FromCatalog(catalog);
        Assert.Equal(0, f.Of(1).Length);
        Assert.Equal(0, f.Of(2).Length);
        Assert.Contains(f.Of(0).ToArray(), id => f.Vocabulary[id] == "brand:acme");
    }
}
