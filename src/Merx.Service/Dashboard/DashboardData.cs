using System.Collections.Concurrent;
using Merx.Core.Domain;
using Merx.Service.Serving;
using Merx.Storage;

namespace Merx.Service.Dashboard;

/// <summary>Store-wide counts, as the dashboard shows them.</summary>
public sealed record StatsDto(long Users, long Items, long Events, IReadOnlyDictionary<string, long> EventsByKind, long UsersWithProfile, long ItemsInCatalog, DateTimeOffset ComputedAt);

/// <summary>One bucket of the timeline, starting on <see cref="Start"/> (UTC day): events per kind (wire names) and their total.</summary>
public sealed record TimelineBucket(string Start, IReadOnlyDictionary<string, long> Counts, long Total);

/// <summary>The events timeline from <see cref="From"/> to <see cref="To"/> in buckets of a <see cref="Bucket"/> ("day", "week" or "month"); buckets without events have zero counts.</summary>
public sealed record TimelineDto(string? From, string? To, string Bucket, IReadOnlyList<string> Kinds, IReadOnlyList<TimelineBucket> Buckets, DateTimeOffset ComputedAt);

/// <summary>Exploration in one bucket; CTRs are clicks per slot shown, absent when no slot of that kind was shown.</summary>
public sealed record ExplorationPoint(DateTimeOffset Start, long Lists, long Slots, long ExploredSlots, double ExplorationRate,
    long ExploredClicks, long ExploitedClicks, double? ExploredCtr, double? ExploitedCtr);

/// <summary>Exploration over a window: totals, buckets (at most about 40, their width chosen from the span of the data) and explored vs exploited click-through with 95 % intervals by user group.</summary>
public sealed record ExplorationDto(DateTimeOffset Since, DateTimeOffset Until, string Policy, long BucketSeconds, ExplorationPoint Totals, IReadOnlyList<ExplorationPoint> Buckets, DateTimeOffset ComputedAt)
{
    public IReadOnlyList<GroupClickThrough> Groups { get; init; } = [];
}

/// <summary>
/// The dashboard's aggregates, computed from the store and cached for a few seconds: a page that
/// refreshes every 15 s, opened in several tabs, costs the store one scan per cache period.
/// </summary>
public sealed class DashboardData(IMerxStore store, TimeSpan ttl)
{
    private static readonly int[] BucketMinutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
    public const int MaxBuckets = 40;
    public const int MaxTimelineBuckets = 92;
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, object Value)> _cache = new();

    private T Cached<T>(string key, Func<T> compute) where T : class => Cached(key, ttl, compute);

    private T Cached<T>(string key, TimeSpan maxAge, Func<T> compute) where T : class
    {
        var now = DateTimeOffset.UtcNow;
        if (_cache.TryGetValue(key, out var hit) && now - hit.At < maxAge) return (T)hit.Value;
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

    /// <summary>
    /// Events per kind over the whole history, or its last <paramref name="days"/> days up to the
    /// newest event (not up to today: an imported data set may be years old), in buckets of a day,
    /// a week (from Monday), a month or a year, whichever keeps the chart at most <see cref="MaxTimelineBuckets"/> bars.
    /// </summary>
    public TimelineDto Timeline(int? days) => Cached("timeline:" + days, () =>
    {
        var counts = store.EventTimeline(DateOnly.MinValue);
        if (counts.Count == 0) return new TimelineDto(null, null, "day", [], [], DateTimeOffset.UtcNow);
        var to = counts[^1].Day;
        var from = days is { } n && counts[0].Day < to.AddDays(1 - n) ? to.AddDays(1 - n) : counts[0].Day;
        var span = to.DayNumber - from.DayNumber + 1;
        var unit = span <= MaxTimelineBuckets ? "day" : span <= MaxTimelineBuckets * 7 ? "week" : span <= MaxTimelineBuckets * 28 ? "month" : "year";
        Func<DateOnly, DateOnly> start = unit switch
        {
            "day" => d => d,
            "week" => d => d.AddDays(-(((int)d.DayOfWeek + 6) % 7)),
            "month" => d => new DateOnly(d.Year, d.Month, 1),
            _ => d => new DateOnly(d.Year, 1, 1),
        };
        Func<DateOnly, DateOnly> next = unit switch { "day" => d => d.AddDays(1), "week" => d => d.AddDays(7), "month" => d => d.AddMonths(1), _ => d => d.AddYears(1) };
        var kept = counts.Where(c => c.Day >= from).ToArray();
        var kinds = EventKinds.All.Where(k => kept.Any(c => c.Kind == k)).Select(k => k.ToWireName()).ToArray();
        var byBucket = kept.GroupBy(c => start(c.Day)).ToDictionary(g => g.Key,
            g => g.GroupBy(c => c.Kind.ToWireName()).ToDictionary(k => k.Key, k => k.Sum(c => c.Count)));
        var list = new List<TimelineBucket>();
        for (var b = start(from); b <= to; b = next(b))
        {
            var c = byBucket.GetValueOrDefault(b) ?? [];
            list.Add(new TimelineBucket(b.ToString("yyyy-MM-dd"), c, c.Values.Sum()));
        }
        return new TimelineDto(from.ToString("yyyy-MM-dd"), to.ToString("yyyy-MM-dd"), unit, kinds, list, DateTimeOffset.UtcNow);
    });

    public ExplorationDto Exploration(int hours, string policy) => Cached("exploration:" + hours, TimeSpan.FromSeconds(1), () =>
    {
        var until = DateTimeOffset.UtcNow;
        var since = until.AddHours(-hours);
        var fine = store.ExplorationTimeline(since, TimeSpan.FromMinutes(1));
        var width = fine.Count == 0 ? 1 : BucketMinutes.FirstOrDefault(m => (fine[^1].Start - fine[0].Start).TotalMinutes / m < MaxBuckets, BucketMinutes[^1]);
        var widthMs = width * 60_000L;
        var buckets = fine.GroupBy(b => b.Start.ToUnixTimeMilliseconds() / widthMs)
            .Select(g => Point(DateTimeOffset.FromUnixTimeMilliseconds(g.Key * widthMs), g)).ToArray();
        return new ExplorationDto(since, until, policy, width * 60L, Point(since, fine), buckets, DateTimeOffset.UtcNow)
        {
            Groups = ExplorationByGroup.Compute(store.ServedOutcomes(since)),
        };
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
