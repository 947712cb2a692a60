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
/// With <see cref="EvaluationOptions.CalibrationLambda"/> set, each fitted model is measured twice on
/// the same fit: as it ranks, and re-ranked for calibration (its line named "NAME+cal" with
/// "calibration_lambda" in its params), so the correction's accuracy cost is read off one run.
/// With <see cref="EvaluationOptions.Int8Twin"/>, a model with int8 inference is also measured through
/// its int8 copy of the same fit (line "NAME+int8", with its weight bytes in its params).
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
        var data = new TrainingData(split.Train, inputs.Catalog, split.Validation, inputs.Weights) { Text = inputs.Text, NewArrivals = split.NewItems };
        var baseOptions = options ?? EvaluationOptions.ForTraining(split.Train, data.Features, inputs.Catalog);
        var calibrated = baseOptions.CalibrationLambda;
        baseOptions = baseOptions with { CalibrationLambda = null };
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
            var parameters = ModelIntrospection.Parameters(model);
            run.Models.Add(new ModelRunResult(name, result, trainSeconds, ModelIntrospection.Epochs(model), seed, parameters,
                Privacy: (model as IPrivatelyTrainable)?.PrivacySpent));
            if (split.WarmTest is { Count: > 0 } warmCases)
            {
                var warm = Evaluator.Evaluate(model, warmCases, baseOptions);
                progress?.Report($"{name}+warm ({warmCases.Count:N0} test cases whose target was not hidden): NDCG@10={warm.Metrics.GetValueOrDefault("ndcg@10"):F4} HR@10={warm.Metrics.GetValueOrDefault("hr@10"):F4}");
                run.Models.Add(new ModelRunResult(name + "+warm", warm, trainSeconds, ModelIntrospection.Epochs(model), seed, parameters));
            }
            if (baseOptions.Int8Twin && model is IInt8Inference quantizable)
            {
                var q = quantizable.ToInt8();
                var int8 = Evaluator.Evaluate(q, split.Test, baseOptions);
                progress?.Report($"{name}+int8: NDCG@10={int8.Metrics.GetValueOrDefault("ndcg@10"):F4} HR@10={int8.Metrics.GetValueOrDefault("hr@10"):F4}; weights {quantizable.WeightBytes(int8: true):N0} bytes against {quantizable.WeightBytes(int8: false):N0} in float32");
                var int8Params = new Dictionary<string, string>(ModelIntrospection.Parameters(q))
                {
                    ["weight_bytes"] = quantizable.WeightBytes(int8: true).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["float32_weight_bytes"] = quantizable.WeightBytes(int8: false).ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                run.Models.Add(new ModelRunResult(name + "+int8", int8, trainSeconds, ModelIntrospection.Epochs(model), seed, int8Params));
            }
            if (calibrated is not { } lambda) continue;
            var cal = Evaluator.Evaluate(model, split.Test, baseOptions with { CalibrationLambda = lambda });
            progress?.Report($"{name}+cal (λ={lambda}): NDCG@10={cal.Metrics.GetValueOrDefault("ndcg@10"):F4} miscalibration@10={cal.Metrics.GetValueOrDefault("miscalibration@10"):F4}");
            var calParams = new Dictionary<string, string>(parameters) { ["calibration_lambda"] = lambda.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            run.Models.Add(new ModelRunResult(name + "+cal", cal, trainSeconds, ModelIntrospection.Epochs(model), seed, calParams,
                Privacy: (model as IPrivatelyTrainable)?.PrivacySpent));
        }
        return run;
    }
}
