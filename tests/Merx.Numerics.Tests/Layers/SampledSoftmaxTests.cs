using Merx.Numerics.Layers;
using Merx.Tests.Shared;

namespace Merx.Numerics.Tests.Layers;

public class SampledSoftmaxTests
{
    private const int Rows = 3, D = 5, Items = 9;
    private static readonly int[] Targets = [2, 7, 0];
    private static readonly int[] Negatives = [1, 7, 4, 8];   // 7 is row 1's target: masked there

    private static float[] Rand(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(); }

    private static double Run(float[] h, float[] table, float[] logQ, float[] dh, float[] dTable) =>
        SampledSoftmax.ForwardBackward(h, table, Targets, Negatives, logQ, dh, dTable, new float[Negatives.Length * D * 2 + Rows * Negatives.Length], Rows, D, 1f);

    [Fact]
    public void Loss_MatchesReference_AndGradientsMatchFiniteDifferences()
    {
        var h = Rand(Rows * D, 1); var table = Rand(Items * D, 2); var logQ = Rand(Items, 3);
        var dh = new float[Rows * D]; var dTable = new float[Items * D];
        var loss = Run(h, table, logQ, dh, dTable);
        Assert.Equal(SampledSoftmax.ReferenceLoss(h, table, Targets, Negatives, logQ, Rows, D), loss, 4);
        var numH = GradCheck.Numerical(h.Select(v => (double)v).ToArray(), x => SampledSoftmax.ReferenceLoss(x.Select(v => (float)v).ToArray(), table, Targets, Negatives, logQ, Rows, D), 1e-3);
        GradCheck.AssertClose(numH, dh, 2e-2, 1e-3);
        var numT = GradCheck.Numerical(table.Select(v => (double)v).ToArray(), x => SampledSoftmax.ReferenceLoss(h, x.Select(v => (float)v).ToArray(), Targets, Negatives, logQ, Rows, D), 1e-3);
        GradCheck.AssertClose(numT, dTable, 2e-2, 1e-3);
    }

    [Fact]
    public void WithTargetWeights_LossMatchesReference_AndGradientsMatchFiniteDifferences()
    {
        var h = Rand(Rows * D, 6); var table = Rand(Items * D, 7); var logQ = Rand(Items, 8);
        var weights = Rand(Items, 9).Select(v => 0.2f + MathF.Abs(v) * 3).ToArray();
        var dh = new float[Rows * D]; var dTable = new float[Items * D];
        var loss = SampledSoftmax.ForwardBackward(h, table, Targets, Negatives, logQ, dh, dTable, new float[Negatives.Length * D * 2 + Rows * Negatives.Length], Rows, D, 1f, weights);
        Assert.Equal(SampledSoftmax.ReferenceLoss(h, table, Targets, Negatives, logQ, Rows, D, weights), loss, 4);
        var numH = GradCheck.Numerical(h.Select(v => (double)v).ToArray(), x => SampledSoftmax.ReferenceLoss(x.Select(v => (float)v).ToArray(), table, Targets, Negatives, logQ, Rows, D, weights), 1e-3);
        GradCheck.AssertClose(numH, dh, 2e-2, 1e-3);
        var numT = GradCheck.Numerical(table.Select(v => (double)v).ToArray(), x => SampledSoftmax.ReferenceLoss(h, x.Select(v => (float)v).ToArray(), Targets, Negatives, logQ, Rows, D, weights), 1e-3);
        GradCheck.AssertClose(numT, dTable, 2e-2, 1e-3);
    }

    [Fact]
    public void WithEveryItemAsNegative_AndNoCorrection_EqualsTheFullSoftmax()
    {
        var h = Rand(Rows * D, 4); var table = Rand(Items * D, 5);
        var all = Enumerable.Range(0, Items).ToArray();
        var sampled = SampledSoftmax.ForwardBackward(h, table, Targets, all, new float[Items], new float[Rows * D], new float[Items * D], new float[Items * D * 2 + Rows * Items], Rows, D, 1f);
        var logits = new float[Rows * Items];
        Gemm.ReferenceABt(h, table, logits, Rows, D, Items);
        Assert.Equal(SoftmaxCrossEntropy.ReferenceLoss(logits, Targets, Rows, Items), sampled, 4);
    }
}
