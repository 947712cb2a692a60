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
/// <param name="TasteSimilarity">DegSim over the user's own taste: the mean cosine similarity with the
/// <see cref="Neighbours"/> most similar other users, counting only the user's items outside its coordinated pairs (a
/// push group's shared targets would otherwise make its members each other's neighbours). Filler drawn at random or by
/// popularity follows no taste, so it matches no one closely. NaN when every item of the profile is coordinated.</param>
/// <param name="TasteItems">The items the taste similarity counts (distinct items outside coordinated pairs).</param>
public readonly record struct ProfileFeatures(int Length, double MeanLogPopularity, double PopularityDivergence, int CoordinatedItems, double Burstiness, double AccountAgeDays,
    double TasteSimilarity, int TasteItems)
{
    /// <summary>Neighbours <see cref="TasteSimilarity"/> averages over.</summary>
    public const int Neighbours = 10;

    /// <summary>The features of every user (users without items get zeros).</summary>
    public static ProfileFeatures[] Compute(UserSequences data, CoVisitation coordination)
    {
        var popularity = coordination.ItemUsers;
        var decile = PopularityDeciles(popularity);
        var clock = data.HasRealClock;
        var end = data.EventCount == 0 ? 0 : data.Timestamps.Max();
        var result = new ProfileFeatures[data.UserCount];
        var seen = new HashSet<int>();
        var taste = TasteSimilarities(data, coordination, out var tasteItems);
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
            if (n == 0) { result[u] = new ProfileFeatures(0, 0, 0, 0, double.NaN, double.NaN, double.NaN, 0); continue; }
            double kl = 0;
            for (var d = 0; d < 10; d++)
            {
                var q = (hist[d] + 0.1) / (n + 1.0);
                kl += q * Math.Log(q / 0.1);
            }
            var ts = data.TimestampsOf(u);
            result[u] = new ProfileFeatures(n, logPop / n, kl, n - tasteItems[u],
                clock ? Burst(ts) : double.NaN, clock ? (end - ts[0]) / 86400.0 : double.NaN, taste[u], tasteItems[u]);
        }
        return result;
    }

    /// <summary>
    /// Every user's <see cref="TasteSimilarity"/>: overlaps with all other users through the items' user lists (cost Σ over
    /// items of users²), cosine |R(u) ∩ P(v)| / √(|R(u)|·|P(v)|) with R(u) the user's items outside coordinated pairs and
    /// P(v) the other's distinct items, the <see cref="Neighbours"/> largest averaged (fewer when fewer users overlap; 0
    /// when none does).
    /// </summary>
    private static double[] TasteSimilarities(UserSequences data, CoVisitation coordination, out int[] tasteItems)
    {
        var users = data.UserCount;
        var profiles = new int[users][];
        var holders = new int[data.ItemCount];
        for (var u = 0; u < users; u++)
        {
            profiles[u] = data.ItemsOf(u).ToArray().Distinct().ToArray();
            foreach (var i in profiles[u]) holders[i]++;
        }
        var audience = new int[data.ItemCount][];
        for (var i = 0; i < audience.Length; i++) audience[i] = new int[holders[i]];
        Array.Clear(holders);
        for (var u = 0; u < users; u++) foreach (var i in profiles[u]) audience[i][holders[i]++] = u;

        var similarity = new double[users];
        tasteItems = new int[users];
        var overlap = new int[users];
        var touched = new List<int>();
        Span<double> best = stackalloc double[Neighbours];
        for (var u = 0; u < users; u++)
        {
            if (profiles[u].Length == 0) { similarity[u] = double.NaN; continue; }
            var coordinated = coordination.CoordinatedSet(profiles[u]);
            var own = 0;
            touched.Clear();
            foreach (var i in profiles[u])
            {
                if (coordinated.Contains(i)) continue;
                own++;
                foreach (var v in audience[i])
                    if (v != u && overlap[v]++ == 0) touched.Add(v);
            }
            tasteItems[u] = own;
            if (own == 0) { similarity[u] = double.NaN; continue; }
            best.Clear();
            foreach (var v in touched)
            {
                var s = overlap[v] / Math.Sqrt((double)own * profiles[v].Length);
                overlap[v] = 0;
                if (s <= best[^1]) continue;
                var k = best.Length - 1;
                while (k > 0 && best[k - 1] < s) { best[k] = best[k - 1]; k--; }
                best[k] = s;
            }
            var count = Math.Min(best.Length, touched.Count);
            double sum = 0;
            for (var k = 0; k < count; k++) sum += best[k];
            similarity[u] = count == 0 ? 0 : sum / count;
        }
        return similarity;
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
