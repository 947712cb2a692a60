using System.Globalization;
using Merx.Core.Contracts;
using Merx.Ranking.Bandits;

namespace Merx.Evaluation.Simulation;

/// <summary>One logged decision: the context, the candidates offered, the item the logging policy showed (uniformly at random) and whether it was clicked.</summary>
public sealed record LoggedEvent(BanditRequest Request, BanditCandidate[] Candidates, int LoggedItem, bool Clicked, double TrueCtrOfLogged = double.NaN, int User = -1);

/// <summary>
/// A policy's replay estimate: <see cref="Estimate"/> = clicks / matches over the events where its
/// choice equalled the logged one; <see cref="TrueCtr"/> is the simulator's expected CTR of the
/// policy's own choices over all events (the quantity the replay estimates), when the truth is known.
/// </summary>
public sealed record ReplayResult(string Policy, double Estimate, long Matches, long Events, double TrueCtr);

/// <summary>
/// The replay estimator of Li, Chu, Langford &amp; Wang (WSDM 2011): on a log whose actions were drawn
/// uniformly at random from the offered candidates, keep only the events where the evaluated policy
/// picks the logged item, count their rewards, and let the policy learn from exactly those events.
/// For a log with uniform logging over m arms the kept events are an unbiased sample of the
/// policy's online interaction (about 1 in m events survive). Slates of one: the policy's top pick.
/// </summary>
public static class ReplayEstimator
{
    public static ReplayResult Evaluate(string name, IBanditPolicy policy, IReadOnlyList<LoggedEvent> log, Func<LoggedEvent, int, double>? truth = null)
    {
        long matches = 0; double clicks = 0, trueSum = 0;
        foreach (var e in log)
        {
            var pick = policy.Select(e.Request, e.Candidates, 1).Picks[0];
            if (truth is not null) trueSum += truth(e, pick.Item);
            if (pick.Item != e.LoggedItem) continue;
            matches++;
            if (e.Clicked) clicks++;
            policy.Update(new BanditFeedback { Request = e.Request, Item = pick.Item, ExploitRank = pick.ExploitRank, Category = pick.Category, Explored = pick.Explored, Clicked = e.Clicked, SlateSize = 1 });
        }
        return new ReplayResult(name, matches == 0 ? double.NaN : clicks / matches, matches, log.Count, truth is null ? double.NaN : trueSum / Math.Max(1, log.Count));
    }

    /// <summary>
    /// Generates a uniform-random exploration log from a simulated shop: each event a visitor (their
    /// observed history, no state carried between events), the exploit model's top
    /// <paramref name="arms"/> candidates, one of them shown uniformly at random in the top slot and
    /// clicked with its true probability.
    /// </summary>
    public static List<LoggedEvent> GenerateLog(SimulatedShop shop, int events, int arms, int seed)
    {
        var world = shop.World;
        var rng = new Random(seed);
        var scores = new float[world.ItemCount];
        var contexts = new Dictionary<int, (BanditRequest Request, BanditCandidate[] Candidates)>();
        var log = new List<LoggedEvent>(events);
        for (var t = 0; t < events; t++)
        {
            var u = shop.Visitors[rng.Next(shop.Visitors.Length)];
            if (!contexts.TryGetValue(u, out var ctx))
            {
                var history = shop.Observed(u);
                shop.Exploit.Score(-1, history, scores);
                foreach (var h in history) scores[h] = float.NegativeInfinity;
                var cands = TopK.Select(scores, arms).Select(c => new BanditCandidate(c.Item, c.Score, world.Category[c.Item])).ToArray();
                var vector = new float[shop.Encoder.Dimension];
                shop.Encoder.EncodeUser(-1, history, vector);
                var known = new HashSet<int>();
                foreach (var h in history) if (world.Category[h] >= 0) known.Add(world.Category[h]);
                ctx = contexts[u] = (new BanditRequest { UserKey = u.ToString(CultureInfo.InvariantCulture), UserVector = vector, HistoryLength = history.Length, KnownCategories = known }, cands);
            }
            var logged = ctx.Candidates[rng.Next(ctx.Candidates.Length)].Item;
            var p = world.Truth(u, logged);
            log.Add(new LoggedEvent(ctx.Request, ctx.Candidates, logged, rng.NextDouble() < p, p, u));
        }
        return log;
    }

    /// <summary>Writes a log as TSV: user, logged item, clicked (0/1), the candidate items separated by commas.</summary>
    public static void WriteLog(string path, IReadOnlyList<LoggedEvent> log)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var w = new StreamWriter(path);
        w.WriteLine("user\tlogged_item\tclicked\tcandidates");
        foreach (var e in log)
            w.WriteLine(string.Join('\t', e.User.ToString(CultureInfo.InvariantCulture), e.LoggedItem.ToString(CultureInfo.InvariantCulture), e.Clicked ? "1" : "0",
                string.Join(',', e.Candidates.Select(c => c.Item.ToString(CultureInfo.InvariantCulture)))));
    }
}
