using Merx.Service.Dashboard;
using Merx.Core.Domain;
using Merx.Storage.Sqlite;

namespace Merx.Server.Tests;

/// <summary>The dashboard's timeline buckets: days for short histories, weeks (from Monday), months and years for long ones, nothing lost.</summary>
public sealed class DashboardDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-dashboard-data-").FullName;

    private readonly List<SqliteStore> _stores = [];

    public void Dispose()
    {
        foreach (var s in _stores) s.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private DashboardData Over(int spanDays, out RawEvent[] events)
    {
        var store = SqliteStore.Open(Path.Combine(_dir, $"s{spanDays}.db"));
        _stores.Add(store);
        var t0 = new DateTimeOffset(2024, 1, 3, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(); // a Wednesday
        var list = Enumerable.Range(0, spanDays).Where(d => d % 3 == 0 || d == spanDays - 1)
            .SelectMany(d => new RawEvent[] { new("u1", "i1", EventKind.View, t0 + d * 86_400L), new("u2", "i2", d % 2 == 0 ? EventKind.Purchase : EventKind.View, t0 + d * 86_400L + 60) })
            .ToArray();
        store.AppendEvents(list);
        events = list;
        return new DashboardData(store, TimeSpan.Zero);
    }

    [Theory]
    [InlineData(30, "day")]
    [InlineData(92, "day")]
    [InlineData(400, "week")]
    [InlineData(2000, "month")]
    [InlineData(3000, "year")]
    public void Timeline_picks_the_bucket_that_keeps_the_chart_small_and_keeps_every_event(int span, string unit)
    {
        var data = Over(span, out var events);
        var t = data.Timeline(null);
        Assert.Equal(unit, t.Bucket);
        Assert.InRange(t.Buckets.Count, 1, DashboardData.MaxTimelineBuckets);
        if (unit == "day") Assert.Equal(span, t.Buckets.Count);
        Assert.Equal(events.Length, t.Buckets.Sum(b => b.Total));
        Assert.Equal(events.Count(e => e.Kind == EventKind.View), t.Buckets.Sum(b => b.Counts.GetValueOrDefault("view")));
        Assert.Equal(events.Count(e => e.Kind == EventKind.Purchase), t.Buckets.Sum(b => b.Counts.GetValueOrDefault("purchase")));
        var starts = t.Buckets.Select(b => DateOnly.Parse(b.Start)).ToArray();
        Func<DateOnly, DateOnly> step = unit switch { "day" => d => d.AddDays(1), "week" => d => d.AddDays(7), "month" => d => d.AddMonths(1), _ => d => d.AddYears(1) };
        Assert.All(starts.Zip(starts.Skip(1)), p => Assert.Equal(step(p.First), p.Second));
        if (unit == "week") Assert.Equal(DayOfWeek.Monday, starts[0].DayOfWeek);
        if (unit is "month" or "year") Assert.Equal(1, starts[0].Day);
        if (unit == "year") Assert.Equal(1, starts[0].Month);
        Assert.Equal(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(events.Max(e => e.Timestamp)).UtcDateTime), DateOnly.Parse(t.To!));
        Assert.Equal(["view", "purchase"], t.Kinds);
    }
}
