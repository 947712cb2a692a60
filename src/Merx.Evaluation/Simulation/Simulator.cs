using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Ranking.Bandits;

namespace Merx.Evaluation.Simulation;

/// <summary>
/// The figures of one policy in one seed; curves hold the cumulative values at evenly spaced rounds.
/// <see cref="ExploredEstablished"/> and <see cref="ExploredNew"/> are the explored shares of the
/// slots served to established and to new users (<see cref="ExplorationBudget.IsNewUser"/>);
/// <see cref="ArmUse"/> the Dynamic policy's share of requests per arm (empty for fixed policies).
/// </summary>
public sealed record SimulationRun(string Policy, int Seed, double Reward, double Regret, double Coverage, double EffectiveCoverage, double Discovery, double ExploredShare, double Seconds, double[] RewardCurve, double[] RegretCurve,
    double ExploredEstablished = 0, double ExploredNew = 0, double NewUserSlots = 0, IReadOnlyList<(string Arm, double Share)>? ArmUse = null);

/// <summary>
/// One served list of a simulation, as a shop's serving log would hold it (round, user, the picks with
/// their exploit ranks and propensities, which slots were clicked, how many candidates there were), plus
/// what only the simulator knows: <see cref="CtrByRank"/>, the true click probability of the candidate at
/// each exploit rank before the list was shown, and <see cref="Examination"/>, the chance each slot is
/// looked at, so a slot's click probability is Examination[j]·CtrByRank[rank]. Off-policy estimates are
/// checked against them (<see cref="OffPolicy.OffPolicyTarget.Expected"/>).
/// </summary>
public sealed record SimulatedList(int Round, string User, bool NewUser, IReadOnlyList<SlatePick> Picks, bool[] Clicked, int Candidates, double[] CtrByRank, double[] Examination)
{
    /// <summary>The redraws that estimated the picks' propensities (null when they are exact or absent).</summary>
    public PropensityRedraws? Redraws { get; init; }
}

/// <summary>
/// Runs one policy through T rounds of a simulated shop. Each round a visitor arrives (uniformly
/// from the seed's visitors), the exploit model proposes the top candidates from the observed
/// history plus popular items from categories the user has not shown, the policy serves a slate,
/// clicks are drawn from the ground truth with position bias and repeat decay, the policy learns
/// from every slot, and clicked items join the user's history (so the exploit model's next
/// candidates follow what was discovered). Regret is measured in expectation against the oracle
/// slate: the K items with the highest current true click probability, placed best first.
/// Arrivals and click draws use their own generators, the same for every policy of a seed.
/// </summary>
public static class Simulator
{
    private sealed class Visitor(List<int> history, HashSet<int> categories)
    {
        public readonly List<int> History = history;
        public readonly HashSet<int> Excluded = [.. history];
        public readonly HashSet<int> Known = [.. categories];
        public readonly HashSet<int> Initial = categories;
        public readonly Dictionary<int, int> Shown = [];
        public double RecentImpressions, RecentClicks;
    }

    /// <param name="log">Called with every served list after its clicks are drawn (null: nothing is logged).</param>
    public static SimulationRun Run(SimulatedShop shop, IBanditPolicy policy, string label, Action<SimulatedList>? log = null)
    {
        var world = shop.World; var o = world.Options;
        var clock = Stopwatch.StartNew();
        var arrivals = new Random(shop.Seed * 31 + 1); var clicks = new Random(shop.Seed * 31 + 2); var extras = new Random(shop.Seed * 31 + 3);
        var n = world.ItemCount; var k = o.Slate;
        var bias = OffPolicy.ExaminationModel.Dcg(k);
        var visitors = new Dictionary<int, Visitor>();
        var scores = new float[n];
        var shown = new int[n];
        var oracle = new List<double>(o.TruthDepth);
        var candidates = new List<BanditCandidate>(o.Candidates + o.DiscoveryCandidates);
        var inSet = new HashSet<int>();
        double reward = 0, regret = 0, discovery = 0, explored = 0, slotsNew = 0, exploredNew = 0, slotsOld = 0, exploredOld = 0;
        var covered = 0;
        var points = o.CurvePoints;
        var rewardCurve = new double[points]; var regretCurve = new double[points];
        for (var t = 0; t < o.Rounds; t++)
        {
            var u = shop.Visitors[arrivals.Next(shop.Visitors.Length)];
            if (!visitors.TryGetValue(u, out var v))
            {
                var h = shop.Observed(u).ToArray();
                visitors[u] = v = new Visitor([.. h], h.Select(i => world.Category[i]).Where(c => c >= 0).ToHashSet());
            }
            shop.Exploit.Score(-1, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v.History), scores);
            foreach (var e in v.Excluded) scores[e] = float.NegativeInfinity;
            candidates.Clear(); inSet.Clear();
            foreach (var c in TopK.Select(scores, o.Candidates)) { candidates.Add(new(c.Item, c.Score, world.Category[c.Item])); inSet.Add(c.Item); }
            for (var tries = 0; tries < 20 * o.DiscoveryCandidates && candidates.Count < o.Candidates + o.DiscoveryCandidates; tries++)
            {
                var item = world.EventItems[extras.Next(world.EventItems.Length)];
                var cat = world.Category[item];
                if (cat < 0 || v.Known.Contains(cat) || v.Excluded.Contains(item) || !inSet.Add(item)) continue;
                candidates.Add(new(item, scores[item], cat));
            }
            var vector = new float[shop.Encoder.Dimension];
            shop.Encoder.EncodeUser(-1, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v.History), vector);
            var request = new BanditRequest
            {
                UserKey = u.ToString(System.Globalization.CultureInfo.InvariantCulture), UserVector = vector, HistoryLength = v.History.Count,
                RecentImpressions = v.RecentImpressions, RecentClicks = v.RecentClicks, KnownCategories = v.Known,
            };
            var slate = policy.Select(request, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates), k);
            if (ExplorationBudget.IsNewUser(request)) { slotsNew += slate.Picks.Length; exploredNew += slate.ExploredCount; }
            else { slotsOld += slate.Picks.Length; exploredOld += slate.ExploredCount; }
            double expected = 0; var roundClicks = 0;
            var truth = log is null ? null : TrueCtrByRank(world, v, u, candidates);
            var clickedSlots = log is null ? null : new bool[slate.Picks.Length];
            for (var j = 0; j < slate.Picks.Length; j++)
            {
                var pick = slate.Picks[j];
                var p = Current(world, v, u, pick.Item);
                expected += bias[j] * p;
                var clicked = clicks.NextDouble() < bias[j] * p;
                if (pick.Explored) explored++;
                policy.Update(new BanditFeedback { Request = request, Item = pick.Item, ExploitRank = pick.ExploitRank, Category = pick.Category, Slot = j, Explored = pick.Explored, Clicked = clicked, SlateSize = k });
                v.Shown[pick.Item] = v.Shown.GetValueOrDefault(pick.Item) + 1;
                if (shown[pick.Item]++ == 0) covered++;
                if (!clicked) continue;
                if (clickedSlots is not null) clickedSlots[j] = true;
                roundClicks++;
                v.History.Add(pick.Item); v.Excluded.Add(pick.Item);
                var cat = world.Category[pick.Item];
                if (cat >= 0) { v.Known.Add(cat); if (!v.Initial.Contains(cat)) discovery++; }
            }
            for (var j = slate.Picks.Length; j < k; j++) clicks.NextDouble(); // keep the click stream aligned across policies
            log?.Invoke(new SimulatedList(t, request.UserKey, ExplorationBudget.IsNewUser(request), slate.Picks, clickedSlots!, candidates.Count, truth!, bias) { Redraws = slate.Redraws });
            reward += roundClicks;
            v.RecentImpressions = 0.8 * v.RecentImpressions + slate.Picks.Length;
            v.RecentClicks = 0.8 * v.RecentClicks + roundClicks;
            regret += Oracle(world, v, u, bias, oracle) - expected;
            var point = (int)((long)(t + 1) * points / o.Rounds) - 1;
            if (point >= 0 && (long)(point + 1) * o.Rounds / points == t + 1) { rewardCurve[point] = reward; regretCurve[point] = regret; }
        }
        return new SimulationRun(label, shop.Seed, reward, regret, (double)covered / n, EffectiveCoverage(shown), discovery, explored / ((double)o.Rounds * k), clock.Elapsed.TotalSeconds, rewardCurve, regretCurve,
            slotsOld > 0 ? exploredOld / slotsOld : 0, slotsNew > 0 ? exploredNew / slotsNew : 0, slotsNew / ((double)o.Rounds * k), (policy as DynamicPolicy)?.ArmUse ?? []);
    }

    /// <summary>The current true click probability of each candidate by exploit rank (the order every policy ranks them in).</summary>
    private static double[] TrueCtrByRank(SimulationWorld world, Visitor v, int user, List<BanditCandidate> candidates)
    {
        var ranked = new RankedCandidates(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates));
        var ctr = new double[ranked.Count];
        for (var r = 0; r < ctr.Length; r++) ctr[r] = Current(world, v, user, ranked.Items[r].Item);
        return ctr;
    }

    /// <summary>exp(entropy of the impression distribution) / catalog size: 1 when every item is shown equally often, 1/n when one item takes every impression.</summary>
    private static double EffectiveCoverage(int[] shown)
    {
        double total = 0, h = 0;
        foreach (var c in shown) total += c;
        if (total == 0) return 0;
        foreach (var c in shown) if (c > 0) { var q = c / total; h -= q * Math.Log(q); }
        return Math.Exp(h) / shown.Length;
    }

    /// <summary>Click probability of an item for a visitor now: truth × decay^(earlier impressions), 0 once clicked.</summary>
    private static double Current(SimulationWorld world, Visitor v, int user, int item)
    {
        if (v.Excluded.Contains(item)) return 0;
        return world.Truth(user, item) * Math.Pow(world.Options.RepeatDecay, v.Shown.GetValueOrDefault(item));
    }

    /// <summary>Expected clicks of the oracle slate: the K best current probabilities over the user's true top list, best first.</summary>
    private static double Oracle(SimulationWorld world, Visitor v, int user, double[] bias, List<double> buffer)
    {
        buffer.Clear();
        foreach (var item in world.TruthRanking(user))
            if (!v.Excluded.Contains(item)) buffer.Add(world.Truth(user, item) * Math.Pow(world.Options.RepeatDecay, v.Shown.GetValueOrDefault(item)));
        buffer.Sort((a, b) => b.CompareTo(a));
        double s = 0;
        for (var j = 0; j < bias.Length; j++) s += bias[j] * (j < buffer.Count ? buffer[j] : world.Options.FloorCtr);
        return s;
    }
}
