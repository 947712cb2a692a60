using Merx.Core.Data;

namespace Merx.Core.Trust;

/// <summary>
/// Coordinated item pairs: two items held together by at least <c>minSupport</c> users, with a lift
/// (co-holders × users ÷ (users of one × users of the other)) of at least <c>minLift</c>, and co-holders at least
/// <c>minConfidence</c> × the larger item's users (most of each item's audience holds the other). Ordinary taste gives popular pairs
/// (support, low lift) and rare pairs (lift, little support); a group of accounts pushing the same items gives
/// both at once — the co-visitation density a push attack cannot avoid, since its fakes must co-occur.
/// </summary>
public sealed class CoVisitation
{
    private readonly HashSet<int>[] _partners;

    private CoVisitation(int[] itemUsers, HashSet<int>[] partners, int pairs) { ItemUsers = itemUsers; _partners = partners; Pairs = pairs; }

    /// <summary>Distinct users per item.</summary>
    public int[] ItemUsers { get; }

    /// <summary>Number of coordinated pairs found.</summary>
    public int Pairs { get; }

    /// <summary>
    /// Finds the pairs. Only items with between minSupport and users/minLift users can take part (a pair's lift is
    /// at most users ÷ the larger item's users), so the count costs Σ over users of (such items held)².
    /// </summary>
    public static CoVisitation Find(UserSequences data, int minSupport, double minLift, double minConfidence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minSupport, 1);
        var n = data.ItemCount;
        var lists = new int[data.UserCount][];
        var itemUsers = new int[n];
        var seen = new HashSet<int>();
        var active = 0;
        for (var u = 0; u < data.UserCount; u++)
        {
            seen.Clear();
            foreach (var i in data.ItemsOf(u)) if (seen.Add(i)) itemUsers[i]++;
            lists[u] = seen.ToArray();
            if (seen.Count > 0) active++;
        }
        var maxUsers = active / minLift;
        bool Candidate(int i) => itemUsers[i] >= minSupport && itemUsers[i] <= maxUsers;
        var audience = new List<int>[n];
        for (var u = 0; u < lists.Length; u++)
        {
            lists[u] = lists[u].Where(Candidate).Order().ToArray();
            foreach (var i in lists[u]) (audience[i] ??= []).Add(u);
        }
        var partners = new HashSet<int>[n];
        var counts = new int[n];
        var touched = new List<int>();
        var pairs = 0;
        for (var i = 0; i < n; i++)
        {
            if (audience[i] is not { } holders) continue;
            touched.Clear();
            foreach (var u in holders)
                foreach (var j in lists[u])
                    if (j > i && counts[j]++ == 0) touched.Add(j);
            foreach (var j in touched)
            {
                var c = counts[j]; counts[j] = 0;
                if (c < minSupport) continue;
                var lift = (double)c * active / ((double)itemUsers[i] * itemUsers[j]);
                if (lift < minLift || c < minConfidence * Math.Max(itemUsers[i], itemUsers[j])) continue;
                (partners[i] ??= []).Add(j); (partners[j] ??= []).Add(i);
                pairs++;
            }
        }
        return new CoVisitation(itemUsers, partners, pairs);
    }

    /// <summary>How many of the profile's distinct items have a coordinated partner that is also in the profile.</summary>
    public int CoordinatedItems(ReadOnlySpan<int> profile) => CoordinatedSet(profile).Count;

    /// <summary>The profile's distinct items that have a coordinated partner also in the profile.</summary>
    public HashSet<int> CoordinatedSet(ReadOnlySpan<int> profile)
    {
        var candidates = new HashSet<int>();
        foreach (var i in profile) if (_partners[i] is not null) candidates.Add(i);
        var set = new HashSet<int>();
        foreach (var i in candidates) if (_partners[i]!.Overlaps(candidates)) set.Add(i);
        return set;
    }

    /// <summary>The coordinated partners of <paramref name="item"/> (empty when it has none).</summary>
    public IReadOnlyCollection<int> PartnersOf(int item) => (IReadOnlyCollection<int>?)_partners[item] ?? [];
}
