using Merx.Core.Data;

namespace Merx.Core.Trust;

/// <summary>
/// One user's behavioural features, computed from training sequences only. Time features are NaN when the
/// data has no clock (<see cref="UserSequences.HasRealClock"/>).
/// </summary>
/// <param name="Length">Distinct items.</param>
/// <param name="MeanLogPopularity">Mean of ln(users of the item) over the user's distinct items.</param>
/// <param name="PopularityDivergence">KL divergence (nats) of the user's items over the ten popularity deciles (each
/// holding a tenth of all interactions) from the uniform spread an average draw gives: filler patterns show here.</param>
/// <param name="CoordinatedItems">The user's items that form a coordinated pair (see <see cref="CoVisitation"/>) with another of the user's items.</param>
/// <param name="Burstiness">Largest share of the user's events inside one hour (NaN without a clock).</param>
/// <param name="AccountAgeDays">Days from the user's first event to the data's last event (NaN without a clock).</param>
public readonly record struct ProfileFeatures(int Length, double MeanLogPopularity, double PopularityDivergence, int CoordinatedItems, double Burstiness, double AccountAgeDays)
{
    /// <summary>The features of every user (users without items get zeros).</summary>
    public static ProfileFeatures[] Compute(UserSequences data, CoVisitation coordination)
    {
        var popularity = coordination.ItemUsers;
        var decile = PopularityDeciles(popularity);
        var clock = data.HasRealClock;
        var end = data.EventCount == 0 ? 0 : data.Timestamps.Max();
        var result = new ProfileFeatures[data.UserCount];
        var seen = new HashSet<int>();
        Span<int> hist = stackalloc int[10];
        for (var u = 0; u < data.UserCount; u++)
        {
            seen.Clear(); hist.Clear();
            double logPop = 0;
            foreach (var i in data.ItemsOf(u))
            {
                if (!seen.Add(i)) continue;
                logPop += Math.Log(Math.Max(1, popularity[i]));
                hist[decile[i]]++;
            }
            var n = seen.Count;
            if (n == 0) { result[u] = new ProfileFeatures(0, 0, 0, 0, double.NaN, double.NaN); continue; }
            double kl = 0;
            for (var d = 0; d < 10; d++)
            {
                var q = (hist[d] + 0.1) / (n + 1.0);
                kl += q * Math.Log(q / 0.1);
            }
            var ts = data.TimestampsOf(u);
            result[u] = new ProfileFeatures(n, logPop / n, kl, coordination.CoordinatedItems(data.ItemsOf(u)),
                clock ? Burst(ts) : double.NaN, clock ? (end - ts[0]) / 86400.0 : double.NaN);
        }
        return result;
    }

    /// <summary>Each item's popularity decile 0..9, deciles cut so that each holds a tenth of all interactions.</summary>
    private static int[] PopularityDeciles(int[] popularity)
    {
        var order = Enumerable.Range(0, popularity.Length).OrderBy(i => popularity[i]).ThenBy(i => i).ToArray();
        double total = popularity.Sum(p => (long)p), acc = 0;
        var decile = new int[popularity.Length];
        foreach (var i in order)
        {
            decile[i] = total == 0 ? 0 : Math.Min(9, (int)(10 * acc / total));
            acc += popularity[i];
        }
        return decile;
    }

    /// <summary>Largest share of events within any one-hour window (timestamps sorted ascending).</summary>
    private static double Burst(ReadOnlySpan<long> ts) => (double)MostWithin(ts, 3600) / ts.Length;

    /// <summary>The most of the sorted <paramref name="times"/> that fall within one span shorter than <paramref name="span"/> (burstiness, here and in <see cref="SurgeWindow"/>).</summary>
    internal static int MostWithin(ReadOnlySpan<long> times, long span)
    {
        var best = 0;
        for (int lo = 0, hi = 0; hi < times.Length; hi++)
        {
            while (times[hi] - times[lo] >= span) lo++;
            best = Math.Max(best, hi - lo + 1);
        }
        return best;
    }
}
