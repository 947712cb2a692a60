using Merx.Privacy.Anonymity;

namespace Merx.Privacy.Tests.Anonymity;

public class KAnonymityTests
{
    [Fact]
    public void Segments_below_k_are_withheld_with_a_report()
    {
        var counts = new Dictionary<string, long> { ["shoes"] = 120, ["bags"] = 45, ["hats"] = 9, ["gloves"] = 3, ["scarves"] = 0 };
        var (released, report) = KAnonymity.Filter(counts, secondarySuppression: false);
        Assert.Equal(new Dictionary<string, long> { ["shoes"] = 120, ["bags"] = 45 }, released);
        Assert.Equal(10, report.K);
        Assert.Equal(2, report.SuppressedBelowK);
        Assert.Equal(["gloves", "hats"], report.SuppressedKeys);
        Assert.False(report.NothingSuppressed);
    }

    [Fact]
    public void Exactly_k_is_released()
    {
        var (released, report) = KAnonymity.Filter(new Dictionary<int, long> { [1] = 10, [2] = 11 });
        Assert.Equal(2, released.Count);
        Assert.True(report.NothingSuppressed);
    }

    [Fact]
    public void Secondary_suppression_stops_recovery_by_subtraction()
    {
        // Only "hats" (3 people) is small: with a public total, 3 = total − released. The smallest
        // released segment goes too, so the withheld pair holds 3 + 45 ≥ 10 people.
        var counts = new Dictionary<string, long> { ["shoes"] = 120, ["bags"] = 45, ["hats"] = 3 };
        var (released, report) = KAnonymity.Filter(counts);
        Assert.Equal(["shoes"], released.Keys);
        Assert.Equal(1, report.SuppressedBelowK);
        Assert.Equal(1, report.SuppressedSecondary);
        Assert.Equal(["bags", "hats"], report.SuppressedKeys);

        // Two small segments already holding ≥ k people together need nothing more.
        var (released2, report2) = KAnonymity.Filter(new Dictionary<string, long> { ["a"] = 100, ["b"] = 6, ["c"] = 5 });
        Assert.Equal(["a"], released2.Keys);
        Assert.Equal(0, report2.SuppressedSecondary);
    }

    [Fact]
    public void Quasi_identifier_rows_are_checked_and_suppressed()
    {
        var rows = new List<IReadOnlyList<string?>>();
        for (var i = 0; i < 12; i++) rows.Add(["30-39", "751", "f"]);
        for (var i = 0; i < 10; i++) rows.Add(["40-49", "751", "m"]);
        rows.Add(["80-89", "751", "f"]);   // unique: re-identifiable
        rows.Add(["30-39", "752", null]);
        var report = KAnonymity.Check(rows);
        Assert.False(report.IsKAnonymous);
        Assert.Equal(24, report.Rows);
        Assert.Equal(4, report.Groups);
        Assert.Equal(1, report.SmallestGroup);
        Assert.Equal(2, report.GroupsBelowK);
        Assert.Equal(2, report.RowsInGroupsBelowK);
        var (kept, _) = KAnonymity.Suppress(rows);
        Assert.Equal(22, kept.Count);
        Assert.True(KAnonymity.Check(kept).IsKAnonymous);
        Assert.True(KAnonymity.Check(rows, k: 1).IsKAnonymous);
    }

    [Fact]
    public void Separators_inside_values_do_not_merge_groups()
    {
        var rows = new List<IReadOnlyList<string?>> { new[] { "a|b", "c" }, new[] { "a", "b|c" } };
        Assert.Equal(2, KAnonymity.Check(rows, 1).Groups);
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KAnonymity.Filter(new Dictionary<string, long>(), k: 0));
        Assert.Throws<ArgumentException>(() => KAnonymity.Filter(new Dictionary<string, long> { ["x"] = -1 }));
        Assert.Throws<ArgumentException>(() => KAnonymity.Check([new[] { "a" }, new[] { "a", "b" }]));
    }
}

public class KAnonymityKeyTypeTests
{
    private sealed record Segment(string Country, string AgeBand);

    [Fact]
    public void Keys_without_an_order_work()
    {
        var counts = new Dictionary<Segment, long> { [new("DE", "30-39")] = 50, [new("DE", "80-89")] = 2, [new("FR", "30-39")] = 30 };
        var (released, report) = KAnonymity.Filter(counts);
        Assert.Single(released);
        Assert.Equal(2, report.SuppressedKeys.Count);
        Assert.Contains(new Segment("DE", "80-89"), report.SuppressedKeys);
    }
}
