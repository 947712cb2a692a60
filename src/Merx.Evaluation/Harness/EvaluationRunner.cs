using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.Harness;

/// <summary>What the runner needs of a data set besides the split: its name, the catalog aligned with item indices, and the items' text vectors when computed.</summary>
public sealed record EvaluationInputs(string DatasetName, IReadOnlyList<Item?> Catalog, EventKindWeights? Weights = null, PretrainedVectors? Text = null)
{
    public static EvaluationInputs From(string name, Dataset dataset, EventKindWeights? weights = null, PretrainedVectors? text = null) => new(name, dataset.Catalog, weights, text);
}

/// <summary>
/// Fits each model on the same split's training part (validation only for early stopping and
/// tuning), times the fit, and evaluates on the test cases with the same options for all models.
/// </summary>
public static class EvaluationRunner
{
    public static EvaluationRun Run(Split split, EvaluationInputs inputs, IReadOnlyList<(string Name, Func<IRecommender> Create)> models,
        int seed, IProgress<string>? progress = null, EvaluationOptions? options = null) =>
        Run(split, inputs, models, new FitOptions { Seed = seed, Progress = progress }, progress, options);

    /// <summary>As above, with the fit settings (seed, time budget per model, cancellation) given whole.</summary>
    public static EvaluationRun Run(Split split, EvaluationInputs inputs, IReadOnlyList<(string Name, Func<IRecommender> Create)> models,
        FitOptions fit, IProgress<string>? progress = null, EvaluationOptions? options = null)
    {
        var seed = fit.Seed;
        var data = new TrainingData(split.Train, inputs.Catalog, split.Validation, inputs.Weights) { Text = inputs.Text };
        var baseOptions = options ?? EvaluationOptions.ForTraining(split.Train, data.Features);
        baseOptions = baseOptions with { Seed = seed };
        var run = new EvaluationRun(inputs.DatasetName, split.Protocol, split.Train.UserCount, split.Train.ItemCount);
        foreach (var (name, create) in models)
        {
            var model = create();
            var clock = Stopwatch.StartNew();
            try
            {
                progress?.Report($"{name}: fitting");
                if (fit.Privacy is not null && model is not IPrivatelyTrainable) throw new ArgumentException($"{name} has no private training, and DP was asked for");
                model.Fit(data, fit);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or OutOfMemoryException)
            {
                progress?.Report($"{name}: fit failed: {e.Message}");
                run.Models.Add(new ModelRunResult(name, null, clock.Elapsed.TotalSeconds, null, seed, ModelIntrospection.Parameters(model), e.Message));
                continue;
            }
            var trainSeconds = clock.Elapsed.TotalSeconds;
            progress?.Report($"{name}: fitted in {trainSeconds:F1} s; evaluating {split.Test.Count} test cases");
            var result = Evaluator.Evaluate(model, split.Test, baseOptions);
            progress?.Report($"{name}: NDCG@10={result.Metrics.GetValueOrDefault("ndcg@10"):F4} HR@10={result.Metrics.GetValueOrDefault("hr@10"):F4} ({result.UsersPerSecond:F0} users/s)");
            run.Models.Add(new ModelRunResult(name, result, trainSeconds, ModelIntrospection.Epochs(model), seed, ModelIntrospection.Parameters(model),
                Privacy: (model as IPrivatelyTrainable)?.PrivacySpent));
        }
        return run;
    }
}
