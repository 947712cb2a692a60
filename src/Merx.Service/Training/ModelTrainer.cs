using System.Diagnostics;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;
using Merx.Models;
using Merx.Service.Catalog;
using Merx.Storage;

namespace Merx.Service.Training;

/// <summary>One model fitted and published by <see cref="ModelTrainer.Train"/>.</summary>
public sealed record PublishedModel(ModelVersion Version, double NdcgAt10, double HrAt10, double TrainSeconds, int TestUsers);

/// <summary>
/// Fits models on a store's events (leave-one-out: each user's last event measures, the second-last
/// selects), measures them with full ranking and publishes each as a new model version with its
/// metrics. Used by <c>merx train</c>, <c>merx demo</c> and the server's background training.
/// </summary>
public static class ModelTrainer
{
    /// <summary>Test users a published model is measured on at most (a deterministic sample): full ranking costs users × items.</summary>
    public const int MaxEvaluationUsers = 5_000;

    /// <summary>
    /// Test users for a catalog of <paramref name="items"/>: <see cref="MaxEvaluationUsers"/> up to 1M items, then as many as
    /// 5·10⁹ scores allow, at least 500 (10M items: 500 users, ≈ 3 minutes of full ranking on two cores instead of 30).
    /// </summary>
    public static int EvaluationUsers(int items) => (int)Math.Clamp(5_000_000_000L / Math.Max(1, items), 500, MaxEvaluationUsers);

    /// <summary>Trains on the events of a store that also holds the registry (the usual case: one store, two of its roles).</summary>
    public static IReadOnlyList<PublishedModel> Train(IMerxStore store, IReadOnlyList<string> names, FitOptions fit, IProgress<string>? progress = null, CancellationToken cancel = default, ItemTextVectors? text = null)
        => Train(store, store, names, fit, progress, cancel, text);

    /// <summary>
    /// Fits each named model on <paramref name="events"/>' data set and publishes it to <paramref name="registry"/>.
    /// With <paramref name="text"/>, models that read item text vectors get them (stored ones reused, new contents encoded and stored),
    /// joined with the stored image vectors of items that have an image.
    /// </summary>
    public static IReadOnlyList<PublishedModel> Train(IEventStore events, IModelRegistry registry, IReadOnlyList<string> names, FitOptions fit, IProgress<string>? progress = null, CancellationToken cancel = default, ItemTextVectors? text = null)
    {
        if (names.Count == 0) throw new ArgumentException("name at least one model to train", nameof(names));
        foreach (var n in names)
            if (ModelRegistry.Create(n) is not IPrivatelyTrainable && fit.Privacy is not null)
                throw new ArgumentException($"model '{n}' has no private training; with DP, train only models that have it (sasrec, bpr)");
        progress?.Report("train: loading events from the store");
        var readsTextVectors = text is not null && names.Any(ModelRegistry.ReadsText);
        // Titles and descriptions only when something reads them (at 10M generated items they are about 4 GB of strings).
        var dataset = events.LoadDataset(itemText: readsTextVectors || names.Any(ModelRegistry.ReadsCatalogText));
        if (dataset.Events.Count == 0) throw new InvalidOperationException("the store has no events to train on (import some first)");
        var split = Splitter.LeaveOneOut(dataset.Sequences);
        // Text ⊕ image vectors (issue #19); without images exactly the text vectors.
        var vectors = readsTextVectors && text is not null ? ItemSideInformation.ForTraining(text, dataset.Items.Ids, dataset.Catalog, progress, cancel) : null;
        // A live catalog's new arrivals by their dates (the split's own holdout adds none): an item on offer for longer with no
        // interaction is not lifted as a new one.
        var data = new TrainingData(split.Train, dataset.Catalog, split.Validation) { Text = vectors, NewArrivals = TrainingData.ArrivalsByDate(dataset.Catalog, DateTimeOffset.UtcNow) };
        var evalOptions = EvaluationOptions.ForTraining(split.Train, data.Features) with { Ks = [10, 20], BootstrapResamples = 200 };
        var evaluationUsers = EvaluationUsers(dataset.ItemCount);
        var test = split.Test.Count <= evaluationUsers ? split.Test
            : split.Test.OrderBy(c => unchecked((uint)c.User * 2654435761u ^ (uint)fit.Seed * 40503u)).Take(evaluationUsers).OrderBy(c => c.User).ToArray();
        var published = new List<PublishedModel>();
        foreach (var name in names)
        {
            cancel.ThrowIfCancellationRequested();
            var model = ModelRegistry.Create(name);
            var clock = Stopwatch.StartNew();
            progress?.Report($"train: fitting {name} on {split.Train.EventCount:N0} events ({dataset.UserCount:N0} users, {dataset.ItemCount:N0} items)");
            model.Fit(data, fit);
            var seconds = clock.Elapsed.TotalSeconds;
            var result = Evaluator.Evaluate(model, test, evalOptions);
            var figures = new Dictionary<string, double>
            {
                ["ndcg@10"] = result.Metrics["ndcg@10"],
                ["hr@10"] = result.Metrics["hr@10"],
                ["mrr"] = result.Metrics["mrr"],
                ["coverage@10"] = result.Metrics["coverage@10"],
                ["train_seconds"] = Math.Round(seconds, 2),
                ["test_users"] = test.Count,
            };
            if ((model as IPrivatelyTrainable)?.PrivacySpent is { } dp)
            {
                // The published version records the (ε, δ) its training spent (user-level DP-SGD).
                figures["epsilon"] = Math.Round(dp.Epsilon, 6);
                figures["delta"] = dp.Delta;
                figures["dp_noise_multiplier"] = Math.Round(dp.NoiseMultiplier, 6);
                figures["dp_sampling_rate"] = dp.SamplingRate;
                figures["dp_clip_norm"] = dp.ClipNorm;
                figures["dp_steps"] = dp.Steps;
                // Both accountants' ε for the run ("epsilon" is the one that planned σ: the smaller unless RDP was asked for).
                if (dp.EpsilonRdp is { } er) figures["epsilon_rdp"] = Math.Round(er, 6);
                if (dp.EpsilonPld is { } ep) figures["epsilon_pld"] = Math.Round(ep, 6);
                figures["dp_accountant_pld"] = dp.Accountant == DpAccountant.Pld ? 1 : 0;
                if (dp.VocabularySize is { } vn) figures["dp_vocabulary_items"] = vn;
            }
            var metrics = JsonSerializer.Serialize(figures);
            registry.PublishModel(name, new ModelPackage(model, dataset.Items, metrics).WriteTo, metrics);
            var version = registry.LatestModel(name)!;
            published.Add(new PublishedModel(version, result.Metrics["ndcg@10"], result.Metrics["hr@10"], seconds, test.Count));
            progress?.Report($"published {name} as version {version.Version}: test NDCG@10 {result.Metrics["ndcg@10"]:F4}, HR@10 {result.Metrics["hr@10"]:F4} (leave-one-out, {test.Count:N0} test users), trained in {seconds:F1} s{((model as IPrivatelyTrainable)?.PrivacySpent is { } spent ? $", ε = {spent.Epsilon:F3}, δ = {spent.Delta:G3}" : "")}");
        }
        return published;
    }
}
