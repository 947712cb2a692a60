using Merx.Core.Contracts;
using Merx.Models.Classic;
using Merx.Models.Sequential;

namespace Merx.Evaluation.Harness;

/// <summary>A model's tunable hyper-parameters and how to build the model from one sampled configuration.</summary>
public sealed record SearchSpace(string Model, IReadOnlyList<ParameterRange> Ranges, Func<IReadOnlyDictionary<string, double>, IRecommender> Create);

/// <summary>
/// The search spaces `merx tune` explores, one per tunable model. Ranges are wide, log-scaled where
/// the parameter acts multiplicatively, and centred on the defaults that served on Amazon Beauty and
/// ML-1M. Every model is built so it selects nothing on its own that the tuner should select (EASE
/// gets a single λ instead of its internal grid; SASRec does not refit on validation items, which
/// would leak the tuning target into training).
/// </summary>
public static class SearchSpaces
{
    /// <summary>Models with a search space.</summary>
    public static IReadOnlyList<string> Names { get; } = [Als.ModelName, Bpr.ModelName, Ease.ModelName, ItemKnn.ModelName, SasRec.ModelName, SasRec.IdOnlyName];

    /// <summary>The search space of <paramref name="model"/> for this training data (EASE's λ range follows the data's density).</summary>
    /// <exception cref="ArgumentException">The model has no tunable hyper-parameters or is unknown.</exception>
    public static SearchSpace For(string model, TrainingData data) => model switch
    {
        ItemKnn.ModelName => new(model, [new("neighbors", 5, 500, Integer: true), new("shrink", 0.1, 200)],
            p => new ItemKnn((int)p["neighbors"], (float)p["shrink"])),
        Ease.ModelName => EaseSpace(data),
        Als.ModelName => new(model, [new("factors", 16, 256, Integer: true, Step: 8), new("regularization", 1e-3, 10), new("alpha", 1, 100)],
            p => new Als(factors: (int)p["factors"], alpha: (float)p["alpha"], regularization: (float)p["regularization"])),
        Bpr.ModelName => new(model, [new("factors", 16, 256, Integer: true, Step: 8), new("learning_rate", 0.005, 0.2), new("regularization", 1e-4, 1)],
            p => new Bpr(factors: (int)p["factors"], learningRate: (float)p["learning_rate"], regularization: (float)p["regularization"])),
        SasRec.ModelName or SasRec.IdOnlyName => new(model,
            [new("dim", 16, 128, Integer: true, Step: 8), new("dropout", 0, 0.5, Log: false), new("learning_rate", 1e-4, 1e-2)],
            p => new SasRec(new SasRecOptions
            {
                Dim = (int)p["dim"], Dropout = (float)p["dropout"], LearningRate = (float)p["learning_rate"],
                RefitWithValidation = false, UseSideInformation = model == SasRec.ModelName,
            })),
        _ => throw new ArgumentException($"model '{model}' has no hyper-parameters to tune (tunable: {string.Join(", ", Names)})"),
    };

    /// <summary>λ from 0.1 to 100 times the mean diagonal of XᵀX (EASE's own grid spans 0.8–12.8 times it).</summary>
    private static SearchSpace EaseSpace(TrainingData data)
    {
        double sumSq = 0;
        foreach (var v in data.Matrix.Values) sumSq += (double)v * v;
        var meanDiag = Math.Max(1e-3, sumSq / Math.Max(1, data.ItemCount));
        return new(Ease.ModelName, [new("lambda", 0.1 * meanDiag, 100 * meanDiag)], p => new Ease([(float)p["lambda"]]));
    }
}
