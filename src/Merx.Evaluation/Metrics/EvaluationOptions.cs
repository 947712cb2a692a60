using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Evaluation.Metrics;

/// <summary>
/// How <see cref="Evaluator"/> measures. Full ranking (every item not in the case's input is a
/// candidate) unless <see cref="SampledNegatives"/> is set, in which case targets are ranked
/// against that many seeded random negatives and every metric name is prefixed "sampled_".
/// </summary>
public sealed record EvaluationOptions
{
    /// <summary>Cut-offs for the @K metrics.</summary>
    public IReadOnlyList<int> Ks { get; init; } = [5, 10, 20];
    public int? SampledNegatives { get; init; }
    /// <summary>Bootstrap resamples over users for the 95% intervals (0 disables them).</summary>
    public int BootstrapResamples { get; init; } = 1000;
    public int Seed { get; init; } = 42;
    /// <summary>Users scored per <c>ScoreBatch</c> call.</summary>
    public int BatchSize { get; init; } = 64;
    public int MaxDegreeOfParallelism { get; init; } = -1;
    /// <summary>Item features for intra-list diversity (1 − mean pairwise Jaccard); null skips diversity.</summary>
    public ItemFeatures? Features { get; init; }
    /// <summary>Per-item count of distinct training users, for novelty and popularity bias; null skips both.</summary>
    public IReadOnlyList<int>? ItemUserCounts { get; init; }
    /// <summary>Number of training users (the denominator of an item's popularity).</summary>
    public int TrainingUsers { get; init; }
    /// <summary>Return each case's top list in <see cref="EvaluationResult.TopLists"/> (what an attack measurement counts).</summary>
    public bool KeepTopLists { get; init; }
    /// <summary>Category ids per item (<see cref="Merx.Ranking.Pipeline.Calibration.Categories"/>) for miscalibration@K; null skips it.</summary>
    public IReadOnlyList<int[]>? Categories { get; init; }
    /// <summary>
    /// When set, each case's list is re-ranked by Steck's greedy calibrated re-ranking with this λ in
    /// [0, 1] (<see cref="Merx.Ranking.Pipeline.Calibration.Rerank"/>, needs <see cref="Categories"/>)
    /// before every metric is computed: the top max-K slots are chosen from the model's
    /// <see cref="CalibrationCandidates"/> best items, the rest of those candidates follow in model order.
    /// </summary>
    public double? CalibrationLambda { get; init; }
    public int CalibrationCandidates { get; init; } = 100;
    /// <summary>
    /// Also measure each model that has int8 inference (<see cref="Merx.Core.Contracts.IInt8Inference"/>)
    /// through its int8 copy of the same fit, as a line "NAME+int8" (issue #21: the accuracy cost of int8 weights).
    /// </summary>
    public bool Int8Twin { get; init; }

    /// <summary>Options with novelty/popularity statistics taken from the training sequences.</summary>
    /// <param name="catalog">When given, its categories (<see cref="Merx.Ranking.Pipeline.Calibration.Categories"/>) turn on miscalibration@K.</param>
    public static EvaluationOptions ForTraining(UserSequences train, ItemFeatures? features = null, IReadOnlyList<Item?>? catalog = null)
    {
        var counts = new int[train.ItemCount];
        var seen = new HashSet<int>();
        for (var u = 0; u < train.UserCount; u++)
        {
            seen.Clear();
            foreach (var i in train.ItemsOf(u))
                if (seen.Add(i)) counts[i]++;
        }
        return new EvaluationOptions
        {
            ItemUserCounts = counts, TrainingUsers = train.UserCount, Features = features,
            Categories = catalog is null ? null : Merx.Ranking.Pipeline.Calibration.Categories(catalog).Categories,
        };
    }
}
