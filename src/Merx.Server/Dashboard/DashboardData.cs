using System.Collections.Concurrent;
using Merx.Core.Domain;
using Merx.Storage;

namespace Merx.Server.Dashboard;

/// <summary>Store-wide counts, as the dashboard shows them.</summary>
public sealed record StatsDto(long Users, long Items, long Events, IReadOnlyDictionary<string, long> EventsByKind, long UsersWithProfile, long ItemsInCatalog, DateTimeOffset ComputedAt);

/// <summary>One UTC day of the timeline: events per kind (wire names) and their total.</summary>
public sealed record TimelineDay(string Day, IReadOnlyDictionary<string, long> Counts, long Total);

/// <summary>The events-per-day timeline: every day from <see cref="From"/> to <see cref="To"/> (days without events have zero counts).</summary>
public sealed record TimelineDto(string? From, string? To, IReadOnlyList<string> Kinds, IReadOnlyList<TimelineDay> Days, DateTimeOffset ComputedAt);

/// <summary>Exploration in one bucket; CTRs are clicks per slot shown, absent when no slot of that kind was shown.</summary>
public sealed record ExplorationPoint(DateTimeOffset Start, long Lists, long Slots, long ExploredSlots, double ExplorationRate,
    long ExploredClicks, long ExploitedClicks, double? ExploredCtr, double? ExploitedCtr);

/// <summary>Exploration over a window: totals and buckets (at most about 40, their width chosen from the span of the data).</summary>
public sealed record ExplorationDto(DateTimeOffset Since, DateTimeOffset Until, string Policy, long BucketSeconds, ExplorationPoint Totals, IReadOnlyList<ExplorationPoint> Buckets, DateTimeOffset ComputedAt);

/// <summary>
/// The dashboard's aggregates, computed from the store and cached for a few seconds: a page that
/// refreshes every 15 s, opened in several tabs, costs the store one scan per cache period.
/// </summary>
internal sealed class DashboardData(IMerxStore store, TimeSpan ttl)
{
    private static readonly int[] BucketMinutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
    public const int MaxBuckets = 40;
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, object Value)> _cache = new();

    private T Cached<T>(string key, Func<T> compute) where T : class
    {
        var now = DateTimeOffset.UtcNow;
        if (_cache.TryGetValue(key, out var hit) && now - hit.At < ttl) return (T)hit.Value;
        var value = compute();
        _cache[key] = (now, value);
        return value;
    }

    public StatsDto Stats() => Cached("stats", () =>
    {
        var s = store.GetStats();
        var byKind = EventKinds.All.ToDictionary(k => k.ToWireName(), k => s[k]);
        return new StatsDto(s.Users, s.Items, s.Events, byKind, s.UsersWithProfile, s.ItemsInCatalog, DateTimeOffset.UtcNow);
    });

    /// <summary>The last <paramref name="days"/> days up to the day of the newest event (not today: an imported data set may be years old).</summary>
    public TimelineDto Timeline(int days) => Cached("timeline:" + days, () =>
    {
        var counts = store.EventTimeline(DateOnly.MinValue);
        if (counts.Count == 0) return new TimelineDto(null, null, [], [], DateTimeOffset.UtcNow);
        var to = counts[^1].Day;
        var from = counts[0].Day > to.AddDays(1 - days) ? counts[0].Day : to.AddDays(1 - days);
        var kept = counts.Where(c => c.Day >= from).ToArray();
        var kinds = EventKinds.All.Where(k => kept.Any(c => c.Kind == k)).Select(k => k.ToWireName()).ToArray();
        var byDay = kept.GroupBy(c => c.Day).ToDictionary(g => g.Key, g => g.ToDictionary(c => c.Kind.ToWireName(), c => c.Count));
        var list = new List<TimelineDay>(to.DayNumber - from.DayNumber + 1);
        for (var d = from; d <= to; d = d.AddDays(1))
        {
            var day = byDay.GetValueOrDefault(d) ?? [];
            list.Add(new TimelineDay(d.ToString("yyyy-MM-dd"), day, day.Values.Sum()));
        }
        return new TimelineDto(from.ToString("yyyy-MM-dd"), to.ToString("yyyy-MM-dd"), kinds, list, DateTimeOffset.UtcNow);
    });

    public ExplorationDto Exploration(int hours, string policy) => Cached("exploration:" + hours, () =>
    {
        var until = DateTimeOffset.UtcNow;
        var since = until.AddHours(-hours);
        var fine = store.ExplorationTimeline(since, TimeSpan.FromMinutes(1));
        var width = fine.Count == 0 ? 1 : BucketMinutes.FirstOrDefault(m => (fine[^1].Start - fine[0].Start).TotalMinutes / m < MaxBuckets, BucketMinutes[^1]);
        var widthMs = width * 60_000L;
        var buckets = fine.GroupBy(b => b.Start.ToUnixTimeMilliseconds() / widthMs)
            .Select(g => Point(DateTimeOffset.FromUnixTimeMilliseconds(g.Key * widthMs), g)).ToArray();
        return new ExplorationDto(since, until, policy, width * 60L, Point(since, fine), buckets, DateTimeOffset.UtcNow);
    });

    private static ExplorationPoint Point(DateTimeOffset start, IEnumerable<ExplorationBucket> parts)
    {
        long lists = 0, slots = 0, explored = 0, exploredClicks = 0, exploitedClicks = 0;
        foreach (var p in parts) { lists += p.Lists; slots += p.Slots; explored += p.ExploredSlots; exploredClicks += p.ExploredClicks; exploitedClicks += p.ExploitedClicks; }
        static double? Rate(long clicks, long shown) => shown == 0 ? null : Math.Round((double)clicks / shown, 6);
        return new ExplorationPoint(start, lists, slots, explored, slots == 0 ? 0 : Math.Round((double)explored / slots, 6),
            exploredClicks, exploitedClicks, Rate(exploredClicks, explored), Rate(exploitedClicks, slots - explored));
    }
}
