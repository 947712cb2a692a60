using Merx.Core.Domain;
using Merx.Evaluation.OffPolicy;
using Merx.Evaluation.Simulation;
using Merx.Ranking.Bandits;
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
            slates.Add(new LoggedSlate(l.Candidates, [.. l.ExploitRanks], [.. l.Propensities], rewards) { Presences = l.Presences is { } q ? [.. q] : null });
        }
        return slates;
    }

    /// <summary>
    /// IPS, SNIPS and doubly-robust estimates of each target from the lists served at or after <paramref name="since"/>,
    /// and the examination-model estimates when <paramref name="examination"/> is given ("dcg", one probability per slot,
    /// or "estimate": θ fitted on the same lists by <see cref="ExaminationModel.Fit"/>) and every list logged its presences.
    /// </summary>
    public static OffPolicyReport Evaluate(IServingLog log, IReadOnlyList<string> targets, DateTimeOffset since, double confidence = 0.95, string? examination = null)
    {
        ArgumentNullException.ThrowIfNull(log); ArgumentNullException.ThrowIfNull(targets);
        var parsed = targets.Select(OffPolicyTarget.Parse).ToArray();
        var outcomes = log.ServedOutcomes(since);
        var slates = Slates(outcomes, out var skipped);
        int redrawn = 0, capped = 0, cappedPresences = 0;
        foreach (var o in outcomes)
            if (o.Served.Logging is { DrawCap: > 0 } l) { redrawn++; capped += l.CappedSlots; cappedPresences += l.CappedPresences; }
        if (slates.Count < 2) throw new InvalidOperationException($"the serving log holds {slates.Count} list(s) with propensities ({skipped} without); off-policy evaluation needs lists served by a policy that logs them (ranked:E, egreedy, greedy, ucb, linucb; thompson, lints and dynamic with propensity draws)");
        ExaminationFit? fit = null;
        string? note = null;
        if (examination is not null && slates.Any(s => s.Presences is null))
            note = "no examination-model estimates: some lists carry no presences (logged before this version; --since the upgrade evaluates only the newer ones)";
        else if (examination is not null && ExaminationModel.Estimated(examination))
        {
            fit = ExaminationModel.TryFit(slates, out var reason, confidence: confidence);
            if (fit is null) note = $"no examination-model estimates: {reason}";
        }
        IReadOnlyList<OpeEstimate> estimates = fit is not null
            ? [.. parsed.Select(t => OffPolicyEstimator.Estimate(slates, t, fit))]
            : [.. parsed.Select(t => OffPolicyEstimator.Estimate(slates, t, examination is null || note is not null ? null : ExaminationModel.Parse(examination, slates.Max(s => s.Slots)), confidence))];
        return new OffPolicyReport(estimates, slates.Count, skipped, redrawn, capped, cappedPresences) { ExaminationFit = fit, ExaminationNote = note };
    }

    /// <summary>
    /// The logging record of a slate served slot for slot: exploit rank, propensity and presence per slot, with the
    /// redraws' cap and capped counts; null when a pick has no propensity. Presences are kept only when every pick has one.
    /// </summary>
    public static SlotLogging? Record(IReadOnlyList<SlatePick> picks, int candidates, PropensityRedraws? redraws)
    {
        ArgumentNullException.ThrowIfNull(picks);
        var ranks = new int[picks.Count]; var propensities = new double[ranks.Length]; var presences = new double[ranks.Length];
        for (var j = 0; j < ranks.Length; j++)
        {
            if (!(picks[j].Propensity > 0)) return null;
            ranks[j] = picks[j].ExploitRank; propensities[j] = picks[j].Propensity; presences[j] = picks[j].Presence;
        }
        return new SlotLogging(candidates, ranks, propensities)
        {
            DrawCap = redraws?.Cap ?? 0, CappedSlots = redraws?.Capped ?? 0,
            Presences = presences.All(q => q > 0) ? presences : null, CappedPresences = redraws?.CappedPresences ?? 0,
        };
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
        var logged = Record(list.Picks, list.Candidates, list.Redraws);
        var served = new ServedRecommendation(id, user, at, "simulator", "full", policy, items, list.Picks.Select(p => p.Explored).ToArray())
        {
            UserGroup = list.NewUser ? "new" : "established",
            Logging = logged,
        };
        var clicks = Enumerable.Range(0, items.Length).Where(j => list.Clicked[j]).Select(j => new FeedbackRecord(id, user, items[j], EventKind.Click, at)).ToArray();
        return (served, clicks);
    }
}

/// <summary>
/// What <see cref="OffPolicyLog.Evaluate"/> found: the estimates per target, the lists evaluated and those without
/// propensities (<see cref="Skipped"/>); <see cref="Redrawn"/> counts the lists whose propensities came from geometric
/// redraws, <see cref="CappedSlots"/> their slots that reached the draw cap (weights biased low) and
/// <see cref="CappedPresences"/> the slots whose item did not reappear in any slot; <see cref="ExaminationFit"/> the
/// examination model fitted on the lists, when asked for; <see cref="ExaminationNote"/> why the examination-model
/// estimates asked for are missing.
/// </summary>
public sealed record OffPolicyReport(IReadOnlyList<OpeEstimate> Estimates, int Lists, int Skipped, int Redrawn, int CappedSlots, int CappedPresences)
{
    public ExaminationFit? ExaminationFit { get; init; }

    public string? ExaminationNote { get; init; }
}
