using Merx.Core.Data;

namespace Merx.Core.Trust;

/// <summary>How <see cref="ShillingDetector"/> decides. The defaults are the ones measured in bench/results/trust-attacks.md.</summary>
public sealed record DetectorOptions
{
    /// <summary>Co-holders a coordinated pair needs; null: 0.5 % of the users with items, at least 5.</summary>
    public int? MinSupport { get; init; }
    public double MinLift { get; init; } = 20;
    /// <summary>
    /// Co-holders as a share of the larger item's users. 0.5, not higher: the leave-one-out split drops a short fake
    /// profile's last items, and an attacker may spread the targets, so a group need not hold every target together.
    /// </summary>
    public double MinConfidence { get; init; } = 0.5;
    /// <summary>A suspect holds at least this many items of coordinated pairs (3: more than one pair's worth).</summary>
    public int MinCoordinatedItems { get; init; } = 3;
    /// <summary>
    /// A member shows individual evidence when its profile is at least this far from the typical user's (robust z, the
    /// largest over the profile features): 3.5 is Iglewicz and Hoaglin's cut for the modified z-score…
    /// </summary>
    public double MinAnomaly { get; init; } = 3.5;
    /// <summary>
    /// …or its taste similarity is at least this far below that of users with as many taste items (one-sided robust z
    /// within length bins, see <see cref="ShillingDetector.TasteAnomalyScores"/>).
    /// </summary>
    public double MinTasteAnomaly { get; init; } = 2.0;
    /// <summary>…or at least this share of its distinct items are coordinated items (a profile that is mostly the group's items).</summary>
    public double MinCoordinatedShare { get; init; } = 0.5;
    /// <summary>A coordinated group is quarantined (its members holding what it pushes) when at least this share of its members show individual evidence.</summary>
    public double MinOddShare { get; init; } = 0.5;
}

/// <summary>What the detector found: the users to quarantine from training, and every user's features and anomaly score.</summary>
/// <param name="Odd">Per user: the individual evidence (anomaly, taste anomaly or coordinated share at its threshold).</param>
/// <param name="Groups">The coordinated groups' members (see <see cref="ShillingDetector.Groups"/>).</param>
/// <param name="FlaggedGroups">Groups quarantined (their members holding what the group pushes).</param>
public sealed record DetectionResult(IReadOnlySet<int> Suspects, ProfileFeatures[] Features, double[] Anomaly, double[] TasteAnomaly, bool[] Odd,
    IReadOnlyList<int[]> Groups, int FlaggedGroups, int CoordinatedPairs, int MinSupport);

/// <summary>
/// Finds fake profiles from behaviour alone (it is never told who is fake), one coordinated group at a time. Group
/// evidence: a push attack's accounts must share their targets, which creates coordinated item pairs
/// (<see cref="CoVisitation"/>); the users holding several items of one connected set of such pairs form a group
/// (<see cref="Groups"/>). Individual evidence: a member's profile is unusual for this shop — on length, popularity of
/// what it holds, the spread of that over popularity deciles, burstiness, account age (robust z against the median
/// user), on taste (its items outside the group match no other user's closely: DegSim, low for filler drawn at random
/// or by popularity), or it is mostly the group's items. A group (of at least as many members as a coordinated pair needs
/// co-holders) is quarantined when at least half of its members show individual evidence — every member holding enough of
/// what the group pushes (the coordinated items most of its odd members hold): a fake that mimics a genuine profile well
/// enough to pass alone is caught with the group it pushes with, a genuine member that only shares a filler item the
/// fakes made coordinated is not; genuine fans of a tight bundle (sequels, variants of one product) form groups whose members are
/// ordinary (measured on ML-1M: at most 4 of 58 members odd) and stay untouched, odd members included.
/// </summary>
public static class ShillingDetector
{
    public static DetectionResult Detect(UserSequences data, DetectorOptions? options = null)
    {
        options ??= new DetectorOptions();
        var active = 0;
        for (var u = 0; u < data.UserCount; u++) if (data.LengthOf(u) > 0) active++;
        var support = options.MinSupport ?? Math.Max(5, (int)Math.Round(0.005 * active));
        var coordination = CoVisitation.Find(data, support, options.MinLift, options.MinConfidence);
        var features = ProfileFeatures.Compute(data, coordination);
        var anomaly = AnomalyScores(features);
        var taste = TasteAnomalyScores(features);
        var odd = new bool[features.Length];
        for (var u = 0; u < features.Length; u++)
        {
            var f = features[u];
            odd[u] = f.Length > 0 && (anomaly[u] >= options.MinAnomaly || taste[u] >= options.MinTasteAnomaly || f.CoordinatedItems >= options.MinCoordinatedShare * f.Length);
        }
        var groups = Groups(data, coordination, options.MinCoordinatedItems);
        var suspects = new HashSet<int>();
        var flagged = 0;
        foreach (var members in groups)
        {
            // Fewer members than one coordinated pair's co-holders cannot be the crowd that made the pairs.
            if (members.Length < support) continue;
            var oddMembers = members.Where(u => odd[u]).ToArray();
            if (oddMembers.Length < options.MinOddShare * members.Length) continue;
            flagged++;
            // What the group pushes: the coordinated items at least half of its odd members hold. A member is quarantined
            // when it holds enough of those (a fake that passes alone still holds the targets), not merely for sharing
            // some coordinated item with the group (genuine buyers of a filler item the fakes made coordinated).
            var holders = new Dictionary<int, int>();
            foreach (var u in oddMembers)
                foreach (var i in coordination.CoordinatedSet(data.ItemsOf(u))) holders[i] = holders.GetValueOrDefault(i) + 1;
            var core = holders.Where(h => 2 * h.Value >= oddMembers.Length).Select(h => h.Key).ToHashSet();
            var need = Math.Min(options.MinCoordinatedItems, core.Count);
            foreach (var u in members)
                if (need > 0 && coordination.CoordinatedSet(data.ItemsOf(u)).Count(core.Contains) >= need) suspects.Add(u);
        }
        return new DetectionResult(suspects, features, anomaly, taste, odd, groups, flagged, coordination.Pairs, support);
    }

    /// <summary>
    /// The coordinated groups: the coordination graph's connected components (items joined by coordinated pairs), and for
    /// each the users holding at least <paramref name="minItems"/> of its items as coordinated items (a user touching
    /// several components belongs to the one where it holds most, the smaller component index on ties). Groups without
    /// members are left out; members are in ascending order.
    /// </summary>
    public static List<int[]> Groups(UserSequences data, CoVisitation coordination, int minItems)
    {
        var component = new int[data.ItemCount];
        Array.Fill(component, -1);
        var count = 0;
        var stack = new Stack<int>();
        for (var i = 0; i < data.ItemCount; i++)
        {
            if (component[i] >= 0 || coordination.PartnersOf(i).Count == 0) continue;
            component[i] = count;
            stack.Push(i);
            while (stack.Count > 0)
                foreach (var j in coordination.PartnersOf(stack.Pop()))
                    if (component[j] < 0) { component[j] = count; stack.Push(j); }
            count++;
        }
        var members = new List<int>[count];
        var held = new Dictionary<int, int>();
        for (var u = 0; u < data.UserCount; u++)
        {
            var set = coordination.CoordinatedSet(data.ItemsOf(u));
            if (set.Count < minItems) continue;
            held.Clear();
            foreach (var i in set) held[component[i]] = held.GetValueOrDefault(component[i]) + 1;
            var (best, most) = (-1, 0);
            foreach (var (c, n) in held) if (n > most || (n == most && c < best)) (best, most) = (c, n);
            if (most >= minItems) (members[best] ??= []).Add(u);
        }
        return members.Where(m => m is not null).Select(m => m.ToArray()).ToList();
    }

    /// <summary>Length bins <see cref="TasteAnomalyScores"/> compares within.</summary>
    public const int TasteBins = 10;

    /// <summary>
    /// Per user, how far its taste similarity (<see cref="ProfileFeatures.TasteSimilarity"/>) lies below that of users
    /// with about as many taste items: the users with a finite similarity are cut into <see cref="TasteBins"/> equal bins
    /// by taste items (ties kept together), and within each bin the robust z of ln(similarity + 0.01), one-sided (low is
    /// odd: positive when below the bin's median). A short profile matches fewer neighbours by chance, hence the bins.
    /// 0 where the similarity is NaN or the bin has no spread.
    /// </summary>
    public static double[] TasteAnomalyScores(ProfileFeatures[] f)
    {
        var score = new double[f.Length];
        var users = Enumerable.Range(0, f.Length).Where(u => f[u].Length > 0 && double.IsFinite(f[u].TasteSimilarity))
            .OrderBy(u => f[u].TasteItems).ThenBy(u => u).ToArray();
        static double Log(double s) => Math.Log(s + 0.01);
        for (int lo = 0, b = 1; lo < users.Length; b++)
        {
            var hi = Math.Max(lo + 1, (int)((long)b * users.Length / TasteBins));
            while (hi < users.Length && f[users[hi]].TasteItems == f[users[hi - 1]].TasteItems) hi++;
            var bin = users[lo..hi];
            var (median, scale) = Robust(bin.Select(u => Log(f[u].TasteSimilarity)).ToArray());
            if (scale > 0) foreach (var u in bin) score[u] = Math.Max(0, (median - Log(f[u].TasteSimilarity)) / scale);
            lo = hi;
        }
        return score;
    }

    /// <summary>
    /// Per user, the largest robust z-score over the profile features: two-sided for ln(length) and mean log
    /// popularity, one-sided for divergence and burstiness (high is odd) and ln(account age) (young is odd).
    /// </summary>
    public static double[] AnomalyScores(ProfileFeatures[] f)
    {
        var users = Enumerable.Range(0, f.Length).Where(u => f[u].Length > 0).ToArray();
        var columns = new (Func<ProfileFeatures, double> Get, int Side)[]
        {
            (p => Math.Log(p.Length), 0),
            (p => p.MeanLogPopularity, 0),
            (p => p.PopularityDivergence, 1),
            (p => p.Burstiness, 1),
            (p => Math.Log(1 + p.AccountAgeDays), -1),
        };
        var score = new double[f.Length];
        foreach (var (get, side) in columns)
        {
            var values = users.Select(u => get(f[u])).Where(double.IsFinite).ToArray();
            if (values.Length == 0) continue;
            var (median, scale) = Robust(values);
            if (scale <= 0) continue;
            foreach (var u in users)
            {
                var x = get(f[u]);
                if (!double.IsFinite(x)) continue;
                var z = (x - median) / scale;
                var s = side == 0 ? Math.Abs(z) : side * z;
                if (s > score[u]) score[u] = s;
            }
        }
        return score;
    }

    /// <summary>Median and 1.4826 × median absolute deviation (the normal-consistent scale).</summary>
    public static (double Median, double Scale) Robust(double[] values)
    {
        var sorted = values.Order().ToArray();
        var median = Median(sorted);
        var dev = sorted.Select(v => Math.Abs(v - median)).Order().ToArray();
        return (median, 1.4826 * Median(dev));
    }

    private static double Median(double[] sorted) =>
        sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}
