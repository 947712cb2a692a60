using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;

namespace Merx.Models.Training;

/// <summary>The plain trainer's settings, taken from the model's options.</summary>
/// <param name="MaxEpochs">Epochs of the selection phase at most (<see cref="FitOptions.MaxEpochs"/> may lower it).</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="EvalEvery">Epochs between validation checks (the last epoch, and one cut by the budget, are always checked).</param>
/// <param name="Patience">Validation checks without improvement before stopping.</param>
/// <param name="ValidationUsers">Validation cases scored per check at most, a fixed seeded sample; 0 = all, unless that means more than 5e9 scores per check.</param>
/// <param name="RefitWithValidation">After selecting the epoch count, train again from scratch on training + validation items for that many epochs (<see cref="ValidationRefit"/>).</param>
internal sealed record PlainRecipe(int MaxEpochs, int BatchSize, int EvalEvery, int Patience, int ValidationUsers, bool RefitWithValidation);

/// <summary>What a plain training run did; the model holds the final parameters.</summary>
/// <param name="EpochsRun">Epochs trained in all (selection, plus the refit's when it ran).</param>
/// <param name="BestEpoch">The selected epoch (0 = none: no validation check ran or none was finite).</param>
/// <param name="BestValidationNdcg">Validation NDCG@10 at <paramref name="BestEpoch"/> (−∞ when no check ran).</param>
/// <param name="EpochSeconds">Wall seconds of every epoch, in order (selection and refit phases).</param>
/// <param name="MedianEpochSeconds">Median wall seconds of a selection-phase epoch.</param>
internal sealed record PlainTrainingResult(int EpochsRun, int BestEpoch, double BestValidationNdcg, IReadOnlyList<double> EpochSeconds, double MedianEpochSeconds)
{
    /// <summary>Whether the refit on training + validation items ran (the model is then not the selected one).</summary>
    public bool Refitted { get; init; }
}

/// <summary>
/// Plain minibatch training over a model's <see cref="IMinibatchModel"/> surface: epochs over the shuffled
/// examples in batches, a validation NDCG@10 check every few epochs with early stopping, the best parameters
/// kept, the time budget (which also ends an epoch part-way), progress once an epoch, and the refit on
/// validation items (<see cref="ValidationRefit"/>). The recipe of the Transformer's centralized training;
/// its DP-SGD and federated siblings are <see cref="DpSgdTrainer"/> and <see cref="FederatedTrainer"/>.
/// </summary>
internal static class PlainTrainer
{
    /// <summary>Trains <paramref name="model"/> on <paramref name="data"/>; progress lines start with "<paramref name="label"/>:".</summary>
    /// <param name="afterSelection">Runs on the selected model, before any refit: choices made on validation cases must be made
    /// by a model that has not trained on them (the refit trains on their targets).</param>
    public static PlainTrainingResult Train(IMinibatchModel model, TrainingData data, PlainRecipe recipe, FitOptions fit, string label, Action? afterSelection = null)
    {
        var clock = Stopwatch.StartNew();
        // Unset, validation uses every case unless that means more than 5e9 scores per check (a 1M-item catalog: 5,000 users).
        var validationUsers = recipe.ValidationUsers > 0 ? recipe.ValidationUsers : (int)Math.Min(int.MaxValue, 5_000_000_000L / Math.Max(1, data.ItemCount));
        var validation = ValidationSample(data.Validation, validationUsers, fit.Seed);
        var refit = recipe.RefitWithValidation && validation.Count > 0;
        var epochSeconds = new List<double>();
        // Phase 1: select the epoch count on validation (early stopping), within part of the budget when a refit follows.
        var select = RunEpochs(model, data.Train, validation, Math.Min(recipe.MaxEpochs, fit.MaxEpochs ?? int.MaxValue),
            ValidationRefit.SelectionBudget(fit.TimeBudget, refit), recipe, fit, clock, epochSeconds, label);
        var median = epochSeconds.Order().ElementAt(epochSeconds.Count / 2);
        var result = new PlainTrainingResult(select.Epochs, select.BestEpoch, select.BestNdcg, epochSeconds, median);
        afterSelection?.Invoke();
        if (!refit || select.BestEpoch == 0) return result;
        // Phase 2: the same recipe from scratch on training + validation items, for the selected number of epochs.
        if (!ValidationRefit.HasTimeFor(fit.TimeBudget, clock.Elapsed, select.BestEpoch, median, out var left))
        {
            fit.Progress?.Report($"{label}: no time left to refit on validation items ({left:F0} s); keeping the selected model");
            return result;
        }
        var selected = model.Parameters.ToArray();
        RunEpochs(model, ValidationRefit.WithTargets(data.Train, data.Validation), [], select.BestEpoch, null, recipe, fit, clock, epochSeconds, label + " refit");
        if (HasNaN(model.Parameters)) selected.CopyTo(model.Parameters);
        model.Refresh();
        return result with { EpochsRun = select.Epochs + select.BestEpoch, Refitted = true };
    }

    /// <summary>
    /// Trains from a fresh start for up to <paramref name="maxEpochs"/>; with validation cases, checks NDCG@10
    /// every EvalEvery epochs, stops after Patience checks without improvement and leaves the best parameters in place.
    /// </summary>
    private static (int Epochs, int BestEpoch, double BestNdcg) RunEpochs(IMinibatchModel model, UserSequences train, IReadOnlyList<EvalCase> validation,
        int maxEpochs, TimeSpan? budget, PlainRecipe recipe, FitOptions fit, Stopwatch clock, List<double> epochSeconds, string label)
    {
        var examples = model.Begin(train, fit.Seed);
        var best = validation.Count > 0 ? model.Parameters.ToArray() : [];   // (P): the best parameters so far (a refit keeps its last)
        var rng = new Random(fit.Seed);
        var start = clock.Elapsed;
        var bestNdcg = double.NegativeInfinity;
        int bestEpoch = 0, sinceBest = 0, epochsRun = 0;
        for (var epoch = 1; epoch <= maxEpochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            rng.Shuffle(examples);
            double lossSum = 0; long countSum = 0;
            var done = 0;
            for (var b0 = 0; b0 < examples.Length; b0 += recipe.BatchSize)
            {
                fit.Cancellation.ThrowIfCancellationRequested();
                // The budget also ends an epoch part-way: on a large catalog one epoch can take longer than the whole budget.
                if (budget is { } cut && b0 > 0 && clock.Elapsed - start > cut) { fit.Progress?.Report($"{label}: time budget reached in epoch {epoch} after {b0:N0} of {examples.Length:N0} sequences"); break; }
                var batch = Math.Min(recipe.BatchSize, examples.Length - b0);
                var (loss, count) = model.Step(examples.AsSpan(b0, batch));
                lossSum += loss;
                countSum += count;
                done += batch;
            }
            epochsRun = epoch;
            epochSeconds.Add(epochClock.Elapsed.TotalSeconds);
            var used = clock.Elapsed - start;
            var overBudget = budget is { } b && used > b;
            // The rate of the sequences this epoch trained on (a budget can end it part-way).
            var line = $"{label}: epoch {epoch} loss {lossSum / Math.Max(1, countSum):F4} {done / epochSeconds[^1]:F0} seq/s {epochSeconds[^1]:F1} s/epoch{(done < examples.Length ? $" ({done:N0} of {examples.Length:N0} sequences)" : "")}";
            if (validation.Count > 0 && (epoch % recipe.EvalEvery == 0 || epoch == maxEpochs || overBudget))
            {
                var ndcg = model.ValidationNdcg(validation);
                line += $" val NDCG@10 {ndcg:F4}";
                if (ndcg > bestNdcg) { bestNdcg = ndcg; bestEpoch = epoch; model.Parameters.CopyTo(best); sinceBest = 0; }
                else if (++sinceBest >= recipe.Patience) { fit.Progress?.Report(line + " (early stop)"); break; }
            }
            var remaining = budget is { } tb ? tb - used : TimeSpan.FromSeconds(epochSeconds[^1] * (maxEpochs - epoch));
            fit.Progress?.Report(line + $" elapsed {clock.Elapsed.TotalSeconds:F0} s, ETA ≤ {Math.Max(0, remaining.TotalSeconds):F0} s");
            if (overBudget) break;
        }
        if (validation.Count > 0) best.CopyTo(model.Parameters);
        model.Refresh();
        return (epochsRun, bestEpoch, bestNdcg);
    }

    private static bool HasNaN(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (float.IsNaN(v)) return true;
        return false;
    }

    /// <summary>
    /// At most <paramref name="max"/> of <paramref name="cases"/> (all when <paramref name="max"/> ≤ 0), a fixed sample per seed.
    /// Not <see cref="Classic.ClassicHelpers.Sample"/>'s draw: the Transformer's published figures were selected on this one.
    /// </summary>
    private static IReadOnlyList<EvalCase> ValidationSample(IReadOnlyList<EvalCase> cases, int max, int seed)
    {
        if (max <= 0 || cases.Count <= max) return cases;
        var rng = new Random(seed + 1);
        return cases.OrderBy(_ => rng.Next()).Take(max).ToArray();
    }
}
