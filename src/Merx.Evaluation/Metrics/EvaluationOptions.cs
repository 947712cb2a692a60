using Merx.Core.Data;

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

    /// <summary>Options with novelty/popularity statistics taken from the training sequences.</summary>
    public static EvaluationOptions ForTraining(UserSequences train, ItemFeatures? features = null)
    {
        var counts = new int[train.ItemCount];
        var seen = new HashSet<int>();
        for (var u = 0; u < train.UserCount; u++)
        {
            seen.Clear();
            foreach (var i in train.ItemsOf(u))
                if (seen.Add(i)) counts[i]++;
        }
        return new EvaluationOptions { ItemUserCounts = counts, TrainingUsers = train.UserCount, Features = features };
    }
}
