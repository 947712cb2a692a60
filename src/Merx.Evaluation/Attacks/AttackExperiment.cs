using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Core.Trust;
using Merx.Evaluation.Harness;
using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.Attacks;

/// <summary>One model under one attack: the target's exposure and genuine users' accuracy, clean, attacked and defended.</summary>
/// <param name="TargetHr">Target HR@10 per condition: per target, the share of genuine test users (target not in their input)
/// with it in their top 10, averaged over the targets.</param>
public sealed record AttackModelResult(string Model, Conditions<double> TargetHr, Conditions<double> Ndcg, Conditions<double> TrainSeconds, Conditions<int?> Epochs, string? Error)
{
    /// <summary>Share of the attack's exposure gain the defence removes: 1 − (defended − clean) / (attacked − clean); NaN without a gain.</summary>
    public double GainCut => TargetHr.Attacked - TargetHr.Clean is var gain and > 0 ? 1 - (TargetHr.Defended - TargetHr.Clean) / gain : double.NaN;
}

public readonly record struct Conditions<T>(T Clean, T Attacked, T Defended);

/// <summary>
/// The attack measurement: inject fakes, split the attacked data leave-one-out, detect suspects on its training part,
/// then fit every model three times on the same split — without the fakes (clean), with them (attacked), without the
/// suspects (defended) — through <see cref="EvaluationRunner"/>, and measure on the genuine users' test cases.
/// Validation keeps the fakes in the attacked run (the shop cannot tell them apart) and drops the suspects in the
/// defended one.
/// </summary>
public static class AttackExperiment
{
    public static AttackReport Run(string dataset, UserSequences clean, IReadOnlyList<Item?> catalog, AttackOptions attack, DetectorOptions detector,
        IReadOnlyList<(string Name, Func<IRecommender> Create)> models, FitOptions fit, IProgress<string>? progress = null) =>
        Run(dataset, clean, catalog, [attack], detector, models, fit, progress)[0];

    /// <summary>
    /// Several attacks on one data set, one report each. Fits whose training data is the same are made once: the clean
    /// fits are shared by every attack whose clean split is identical to an earlier one's (the genuine users do not
    /// change with the attack), and a defence that quarantined exactly the fakes trains on the clean data, so its
    /// figures are the clean fit's. Training is deterministic for a seed, so the figures equal separate runs'.
    /// </summary>
    /// <param name="completed">Called with each attack's report as soon as it is complete, before the next attack's fits
    /// (a converged Transformer takes tens of minutes a fit: the finished attacks' figures are kept if the run stops).</param>
    public static IReadOnlyList<AttackReport> Run(string dataset, UserSequences clean, IReadOnlyList<Item?> catalog, IReadOnlyList<AttackOptions> attacks,
        DetectorOptions detector, IReadOnlyList<(string Name, Func<IRecommender> Create)> models, FitOptions fit, IProgress<string>? progress = null,
        Action<AttackReport>? completed = null)
    {
        if (attacks.Count == 0) throw new ArgumentException("no attack to run", nameof(attacks));
        var options = new EvaluationOptions { Ks = [10], BootstrapResamples = 0, KeepTopLists = true, Seed = fit.Seed };
        var inputs = new EvaluationInputs(dataset, catalog);
        EvaluationRun Measure(string condition, Split s)
        {
            progress?.Report($"{condition}: fitting {string.Join(", ", models.Select(m => m.Name))} on {s.Train.EventCount:N0} training events");
            return EvaluationRunner.Run(s, inputs, models, fit, progress, options);
        }

        (Split Split, EvaluationRun Run)? cleanFit = null;
        var reports = new List<AttackReport>(attacks.Count);
        foreach (var attack in attacks)
        {
            var attacked = ShillingAttacks.Inject(clean, attack);
            var kind = attack.Kind.ToString().ToLowerInvariant();
            progress?.Report($"attack: {kind} — {attacked.FakeUsers:N0} fake users ({attack.Size:P1} of {attacked.GenuineUsers:N0}), " +
                $"{(attacked.FillerPerProfile >= 0 ? $"{attacked.FillerPerProfile} filler" : "filler as long as a copied genuine profile")} + {attacked.Selected.Length} selected + " +
                $"{attacked.Targets.Length} targets each; targets {string.Join(",", attacked.Targets)}");
            var split = Splitter.LeaveOneOut(attacked.Data);
            var genuineTest = split.Test.Where(c => !attacked.IsFake(c.User)).ToArray();
            split = split with { Test = genuineTest };
            var detection = ShillingDetector.Detect(split.Train, detector);
            var fakes = Enumerable.Range(attacked.FirstFake, attacked.FakeUsers).ToHashSet();
            var caught = detection.Suspects.Count(fakes.Contains);
            var precision = detection.Suspects.Count == 0 ? 0 : (double)caught / detection.Suspects.Count;
            var recall = (double)caught / fakes.Count;
            progress?.Report($"detector: {detection.CoordinatedPairs:N0} coordinated pairs (support ≥ {detection.MinSupport}), {detection.Groups.Count:N0} groups, " +
                $"{detection.FlaggedGroups:N0} quarantined; {detection.Suspects.Count:N0} suspects, " +
                $"{caught:N0} of them fake: precision {precision:F3}, recall {recall:F3}");

            var cleanSplit = Splitter.WithoutUsers(split, fakes);
            EvaluationRun cleanRun;
            if (cleanFit is { } earlier && earlier.Split.SameDataAs(cleanSplit))
            {
                progress?.Report($"clean ({kind}): the same data as the clean fits before, which are reused");
                cleanRun = earlier.Run;
            }
            else
            {
                cleanRun = Measure($"clean ({kind})", cleanSplit);
                cleanFit = (cleanSplit, cleanRun);
            }
            var attackedRun = Measure($"attacked ({kind})", split);
            var defendedIsClean = fakes.SetEquals(detection.Suspects);
            if (defendedIsClean) progress?.Report($"defended ({kind}): the suspects are exactly the fakes, so the defended data is the clean data and the clean fits stand for it");
            var runs = new Conditions<EvaluationRun>(cleanRun, attackedRun,
                defendedIsClean ? cleanRun : Measure($"defended ({kind})", Splitter.WithoutUsers(split, detection.Suspects)));

            var results = new List<AttackModelResult>();
            for (var m = 0; m < models.Count; m++)
            {
                var (c, a, d) = (runs.Clean.Models[m], runs.Attacked.Models[m], runs.Defended.Models[m]);
                var error = c.Error ?? a.Error ?? d.Error;
                double Hr(ModelRunResult r) => r.Result?.TopLists is { } tops ? TargetHitRate(genuineTest, tops, attacked.Targets, 10) : double.NaN;
                double Ndcg(ModelRunResult r) => r.Result?.Metrics.GetValueOrDefault("ndcg@10", double.NaN) ?? double.NaN;
                var result = new AttackModelResult(models[m].Name, new(Hr(c), Hr(a), Hr(d)), new(Ndcg(c), Ndcg(a), Ndcg(d)),
                    new(c.TrainSeconds, a.TrainSeconds, d.TrainSeconds), new(c.Epochs, a.Epochs, d.Epochs), error);
                progress?.Report($"{result.Model} ({kind}): target HR@10 clean {result.TargetHr.Clean:F4} attacked {result.TargetHr.Attacked:F4} defended {result.TargetHr.Defended:F4} " +
                    $"(gain cut {result.GainCut:P1}); NDCG@10 clean {result.Ndcg.Clean:F4} defended {result.Ndcg.Defended:F4}");
                results.Add(result);
            }
            var report = new AttackReport(dataset, attack, attacked.GenuineUsers, attacked.FakeUsers, attacked.Targets, attacked.Selected, attacked.FillerPerProfile,
                detection.Suspects.Count, precision, recall, genuineTest.Length, results, defendedIsClean);
            reports.Add(report);
            completed?.Invoke(report);
        }
        return reports;
    }

    /// <summary>
    /// Per target, the share of the cases whose input lacks it that have it in their top <paramref name="k"/>;
    /// the mean over targets (targets no case could be shown count as 0 shown of 0 and are skipped).
    /// </summary>
    public static double TargetHitRate(IReadOnlyList<EvalCase> cases, IReadOnlyList<int[]> tops, IReadOnlyList<int> targets, int k)
    {
        if (tops.Count != cases.Count) throw new ArgumentException("one top list per case", nameof(tops));
        double sum = 0; var counted = 0;
        foreach (var t in targets)
        {
            int eligible = 0, hits = 0;
            for (var c = 0; c < cases.Count; c++)
            {
                if (Array.IndexOf(cases[c].Input, t) >= 0) continue;
                eligible++;
                var top = tops[c];
                for (var r = 0; r < Math.Min(k, top.Length); r++)
                    if (top[r] == t) { hits++; break; }
            }
            if (eligible == 0) continue;
            sum += (double)hits / eligible; counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }
}
