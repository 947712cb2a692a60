using Merx.Core.Domain;
using Merx.Evaluation.OffPolicy;
using Merx.Evaluation.Simulation;
using Merx.Storage;

namespace Merx.Service.Evaluation;

/// <summary>
/// Between the serving log and off-policy evaluation: served lists with their logging records and
/// clicks become <see cref="LoggedSlate"/>s, and a simulated list becomes the same served list and
/// click feedback the server would have written, so a simulation's log goes through the same path.
/// </summary>
public static class OffPolicyLog
{
    /// <summary>The lists that carry a logging record (others are counted in <paramref name="skipped"/>), each slot's reward 1 when its item was clicked.</summary>
    public static IReadOnlyList<LoggedSlate> Slates(IReadOnlyList<ServedOutcome> outcomes, out int skipped)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var slates = new List<LoggedSlate>(outcomes.Count);
        skipped = 0;
        foreach (var o in outcomes)
        {
            if (o.Served.Logging is not { } l) { skipped++; continue; }
            var items = o.Served.Items;
            var rewards = new double[items.Count];
            for (var j = 0; j < items.Count; j++) rewards[j] = o.ClickedAt(j) ? 1 : 0;
            slates.Add(new LoggedSlate(l.Candidates, [.. l.ExploitRanks], [.. l.Propensities], rewards));
        }
        return slates;
    }

    /// <summary>
    /// IPS, SNIPS and doubly-robust estimates of each target from the lists served at or after <paramref name="since"/>;
    /// <c>Redrawn</c> counts the lists whose propensities came from geometric redraws and <c>CappedSlots</c> their
    /// slots that reached the draw cap (weights biased low).
    /// </summary>
    public static (IReadOnlyList<OpeEstimate> Estimates, int Lists, int Skipped, int Redrawn, int CappedSlots) Evaluate(IServingLog log, IReadOnlyList<string> targets, DateTimeOffset since, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(log); ArgumentNullException.ThrowIfNull(targets);
        var parsed = targets.Select(OffPolicyTarget.Parse).ToArray();
        var outcomes = log.ServedOutcomes(since);
        var slates = Slates(outcomes, out var skipped);
        int redrawn = 0, capped = 0;
        foreach (var o in outcomes)
            if (o.Served.Logging is { DrawCap: > 0 } l) { redrawn++; capped += l.CappedSlots; }
        if (slates.Count < 2) throw new InvalidOperationException($"the serving log holds {slates.Count} list(s) with propensities ({skipped} without); off-policy evaluation needs lists served by a policy that logs them (ranked:E, egreedy, greedy, ucb, linucb; thompson, lints and dynamic with propensity draws)");
        return (parsed.Select(t => OffPolicyEstimator.Estimate(slates, t, confidence)).ToArray(), slates.Count, skipped, redrawn, capped);
    }

    /// <summary>
    /// A simulated list as the server logs one: id "sim-ROUND", user "sim:USER", served at
    /// <paramref name="start"/> + ROUND seconds, item index i as "item{i}", and a
    /// click feedback per clicked slot. The logging record is left out when a pick has no propensity.
    /// </summary>
    public static (ServedRecommendation Served, FeedbackRecord[] Clicks) FromSimulation(SimulatedList list, DateTimeOffset start, string policy)
    {
        ArgumentNullException.ThrowIfNull(list);
        var id = $"sim-{list.Round}"; var user = "sim:" + list.User; var at = start.AddSeconds(list.Round);
        var items = list.Picks.Select(p => "item" + p.Item.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var logged = list.Picks.All(p => p.Propensity > 0)
            ? new SlotLogging(list.Candidates, list.Picks.Select(p => p.ExploitRank).ToArray(), list.Picks.Select(p => p.Propensity).ToArray())
            {
                DrawCap = list.Redraws?.Cap ?? 0, CappedSlots = list.Redraws?.Capped ?? 0,
            }
            : null;
        var served = new ServedRecommendation(id, user, at, "simulator", "full", policy, items, list.Picks.Select(p => p.Explored).ToArray())
        {
            UserGroup = list.NewUser ? "new" : "established",
            Logging = logged,
        };
        var clicks = Enumerable.Range(0, items.Length).Where(j => list.Clicked[j]).Select(j => new FeedbackRecord(id, user, items[j], EventKind.Click, at)).ToArray();
        return (served, clicks);
    }
}
