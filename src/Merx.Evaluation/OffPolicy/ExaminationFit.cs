namespace Merx.Evaluation.OffPolicy;

/// <summary>
/// The examination probabilities θ of a log's slots estimated from the log itself (<see cref="ExaminationModel.Fit"/>):
/// the point estimate normalised to 1 at the most-looked-at slot, its percentile intervals, and the replicates of the
/// Poisson bootstrap over lists (<see cref="ExaminationModel.BootstrapWeights"/> regenerates each replicate's weights from
/// <see cref="Seed"/>), so an off-policy estimate can carry θ's uncertainty into its own interval.
/// </summary>
public sealed record ExaminationFit(double[] Theta, double[] Lo, double[] Hi, double[][] Replicates, int Seed, double Confidence)
{
    /// <summary>The share of the log's shows that put an exploit rank in another slot than the one it was most often shown in: how much the log moves items between slots.</summary>
    public double Movement { get; init; }

    /// <summary>EM iterations of the point fit.</summary>
    public int Iterations { get; init; }
}
