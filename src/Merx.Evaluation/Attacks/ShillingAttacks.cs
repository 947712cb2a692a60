using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Numerics;

namespace Merx.Evaluation.Attacks;

/// <summary>
/// Injects fake profiles into in-memory training data (no storage, no HTTP), seeded. Threat model (what the
/// attacker controls, README "Fake-profile attacks"): how many accounts, which items each holds and in what
/// order, and — where the data has real clocks — when each account starts and how it paces its events (gaps
/// drawn from genuine users' gaps), inside a window before the data's end. The attacker knows item popularity
/// and, for the segment attack, which items the targets' buyers like (public "also bought" lists); the
/// attacker does not know the shop's other users' histories. Every fake holds every target.
/// </summary>
public static class ShillingAttacks
{
    public static AttackedData Inject(UserSequences clean, AttackOptions options)
    {
        options.Check();
        var n = clean.ItemCount;
        var users = clean.UserCount;
        var genuine = 0;
        for (var u = 0; u < users; u++) if (clean.LengthOf(u) > 0) genuine++;
        var fakes = (int)Math.Round(options.Size * genuine);
        if (fakes < 1) throw new ArgumentException($"attack size {options.Size} of {genuine} users with events is no fake user");
        var filler = (int)Math.Round(options.Filler * n);
        var popularity = ItemUsers(clean);
        var rng = new SplitMix64(unchecked((ulong)options.Seed * SplitMix64.Gamma + 0x5A17));
        var targets = PickTargets(popularity, options, ref rng);
        var blocked = new HashSet<int>(targets);
        var selected = options.Kind switch
        {
            AttackKind.Bandwagon => TopBy(popularity, options.Selected, blocked),
            AttackKind.Segment => TopBy(BuyersFavourites(clean, targets), options.Selected, blocked),
            _ => [],
        };
        blocked.UnionWith(selected);
        if (targets.Length + selected.Length + filler > n) throw new ArgumentException($"a profile of {targets.Length + selected.Length + filler} items does not fit a catalog of {n}");
        var cumulative = options.Kind == AttackKind.Average ? Cumulative(popularity) : null;
        var clock = clean.HasRealClock;
        var end = clean.EventCount == 0 ? 0 : clean.Timestamps.Max();
        var gaps = clock ? GenuineGaps(clean) : [];
        var models = Enumerable.Range(0, users).Where(u => clean.LengthOf(u) > 0).ToArray();

        var offsets = new int[users + fakes + 1];
        Array.Copy(clean.Offsets, offsets, users + 1);
        var items = new List<int>(clean.Items); var times = new List<long>(clean.Timestamps); var kinds = new List<EventKind>(clean.Kinds);
        var profile = new List<int>(targets.Length + selected.Length + filler);
        var chosen = new HashSet<int>();
        for (var f = 0; f < fakes; f++)
        {
            profile.Clear(); chosen.Clear();
            profile.AddRange(targets); profile.AddRange(selected);
            var copied = options.Camouflage ? models[rng.Next(models.Length)] : -1;
            var want = copied < 0 ? filler : Math.Clamp(clean.LengthOf(copied) - targets.Length - selected.Length, 0, n - blocked.Count);
            while (chosen.Count < want)
            {
                var item = cumulative is null ? rng.Next(n) : Sample(cumulative, ref rng);
                if (!blocked.Contains(item) && chosen.Add(item)) profile.Add(item);
            }
            Shuffle(profile, ref rng);
            var stamps = copied >= 0 && clock ? CopiedStamps(clean.TimestampsOf(copied), profile.Count) : Stamps(profile.Count, clock, end, options.Window, gaps, ref rng);
            for (var i = 0; i < profile.Count; i++) { items.Add(profile[i]); times.Add(stamps[i]); kinds.Add(EventKind.View); }
            offsets[users + f + 1] = items.Count;
        }
        var data = new UserSequences(n, offsets, items.ToArray(), times.ToArray(), kinds.ToArray());
        return new AttackedData(data, users, genuine, targets, selected, options.Camouflage ? -1 : filler, clock);
    }

    /// <summary>Distinct users per item.</summary>
    public static int[] ItemUsers(UserSequences data)
    {
        var counts = new int[data.ItemCount];
        var seen = new HashSet<int>();
        for (var u = 0; u < data.UserCount; u++)
        {
            seen.Clear();
            foreach (var i in data.ItemsOf(u)) if (seen.Add(i)) counts[i]++;
        }
        return counts;
    }

    /// <summary>Targets: distinct items with at least one user and at most the quantile's user count, drawn uniformly.</summary>
    private static int[] PickTargets(int[] popularity, AttackOptions options, ref SplitMix64 rng)
    {
        var used = Enumerable.Range(0, popularity.Length).Where(i => popularity[i] > 0).ToArray();
        if (used.Length < options.Targets) throw new ArgumentException($"{options.Targets} targets asked for, the data has {used.Length} items with users");
        var sorted = used.Select(i => popularity[i]).Order().ToArray();
        var cut = sorted[Math.Clamp((int)(options.TargetPopularityQuantile * sorted.Length), 0, sorted.Length - 1)];
        var pool = used.Where(i => popularity[i] <= cut).ToList();
        if (pool.Count < options.Targets) pool = used.OrderBy(i => popularity[i]).ThenBy(i => i).Take(options.Targets).ToList();
        Shuffle(pool, ref rng);
        return pool.Take(options.Targets).Order().ToArray();
    }

    /// <summary>For each item, how many of the targets' genuine users hold it.</summary>
    private static int[] BuyersFavourites(UserSequences data, int[] targets)
    {
        var counts = new int[data.ItemCount];
        var targetSet = targets.ToHashSet();
        var seen = new HashSet<int>();
        for (var u = 0; u < data.UserCount; u++)
        {
            var items = data.ItemsOf(u);
            var buyer = false;
            foreach (var i in items) buyer |= targetSet.Contains(i);
            if (!buyer) continue;
            seen.Clear();
            foreach (var i in items) if (seen.Add(i)) counts[i]++;
        }
        return counts;
    }

    private static int[] TopBy(int[] score, int k, HashSet<int> excluded) =>
        Enumerable.Range(0, score.Length).Where(i => score[i] > 0 && !excluded.Contains(i))
            .OrderByDescending(i => score[i]).ThenBy(i => i).Take(k).ToArray();

    private static long[] Cumulative(int[] weights)
    {
        var c = new long[weights.Length];
        long sum = 0;
        for (var i = 0; i < weights.Length; i++) c[i] = sum += weights[i];
        return c;
    }

    private static int Sample(long[] cumulative, ref SplitMix64 rng)
    {
        var x = (long)(rng.NextDouble() * cumulative[^1]);
        var i = Array.BinarySearch(cumulative, x + 1);
        return i >= 0 ? i : ~i;
    }

    /// <summary>Every gap between consecutive events of a genuine user (seconds), the attacker's pacing pool.</summary>
    private static long[] GenuineGaps(UserSequences data)
    {
        var gaps = new List<long>();
        for (var u = 0; u < data.UserCount; u++)
        {
            var ts = data.TimestampsOf(u);
            for (var i = 1; i < ts.Length; i++) gaps.Add(ts[i] - ts[i - 1]);
        }
        return gaps.Count == 0 ? [60] : gaps.ToArray();
    }

    /// <summary>
    /// Positions 0..count−1 without a clock (as the data's own users have); with one, a start inside the window and
    /// genuine gaps, the whole account squeezed into the window when the drawn gaps overrun it.
    /// </summary>
    private static long[] Stamps(int count, bool clock, long end, TimeSpan window, long[] gaps, ref SplitMix64 rng)
    {
        var stamps = new long[count];
        if (!clock) { for (var i = 0; i < count; i++) stamps[i] = i; return stamps; }
        var span = (long)window.TotalSeconds;
        for (var i = 1; i < count; i++) stamps[i] = stamps[i - 1] + gaps[rng.Next(gaps.Length)];
        var length = stamps[^1];
        if (length > span) { for (var i = 0; i < count; i++) stamps[i] = (long)((double)stamps[i] / length * span); length = span; }
        var start = end - span + (long)(rng.NextDouble() * (span - length));
        for (var i = 0; i < count; i++) stamps[i] += start;
        return stamps;
    }

    /// <summary>The copied user's own timestamps (start, pacing), the last one repeated when the profile is longer.</summary>
    private static long[] CopiedStamps(ReadOnlySpan<long> source, int count)
    {
        var stamps = new long[count];
        for (var i = 0; i < count; i++) stamps[i] = source[Math.Min(i, source.Length - 1)];
        return stamps;
    }

    private static void Shuffle<T>(List<T> list, ref SplitMix64 rng)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
