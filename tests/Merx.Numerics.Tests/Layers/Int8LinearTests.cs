using Merx.Numerics.Layers;

namespace Merx.Numerics.Tests.Layers;

/// <summary>Issue #21: the int8 dense layer of the Transformer's inference copy.</summary>
public class Int8LinearTests
{
    [Fact]
    public void Forward_EqualsTheIntegerProductsScaledBack_FromTheScalarTwin()
    {
        var rng = new Random(21);
        foreach (var (inDim, outDim, n) in new[] { (1, 1, 1), (7, 3, 2), (64, 192, 5), (256, 64, 3), (33, 65, 4) })
        {
            var w = Enumerable.Range(0, inDim * outDim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var x = Enumerable.Range(0, n * inDim).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var bias = Enumerable.Range(0, outDim).Select(_ => (float)rng.NextDouble()).ToArray();
            var layer = new Int8Linear(w, inDim, outDim);
            var y = new float[n * outDim];
            layer.Forward(x, bias, y, n);

            // Independently: Wᵀ rows and each x row quantized by Int8Rows, products by the scalar twin.
            var wt = new float[outDim * inDim];
            for (var i = 0; i < inDim; i++) for (var o = 0; o < outDim; o++) wt[o * inDim + i] = w[i * outDim + o];
            var qw = new sbyte[wt.Length]; var sw = new float[outDim];
            Int8Rows.Quantize(wt, inDim, qw, sw);
            for (var t = 0; t < n; t++)
            {
                var qx = new sbyte[inDim];
                var sx = Int8Rows.QuantizeRow(x.AsSpan(t * inDim, inDim), qx);
                var acc = new int[outDim];
                Int8Rows.Reference(qw, qx, acc);
                for (var o = 0; o < outDim; o++) Assert.Equal(acc[o] * (sx * sw[o]) + bias[o], y[t * outDim + o]);
            }
        }
    }

    [Fact]
    public void Forward_StaysWithinTheQuantizationBound_OfTheFloatLayer()
    {
        // |x·W − x'·W'| ≤ Σₖ (|Δx| |w| + |x| |Δw| + |Δx| |Δw|), each Δ at most half a step (max/127/2) of its row.
        var rng = new Random(5);
        const int inDim = 64, outDim = 256, n = 8;
        var w = Enumerable.Range(0, inDim * outDim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var x = Enumerable.Range(0, n * inDim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var bias = new float[outDim];
        var y = new float[n * outDim];
        new Int8Linear(w, inDim, outDim).Forward(x, bias, y, n);
        var exact = new float[n * outDim];
        Gemm.AB(x, w, exact, n, inDim, outDim);
        var worst = 0.0;
        for (var t = 0; t < n; t++)
        {
            var hx = x.AsSpan(t * inDim, inDim).ToArray().Max(MathF.Abs) / 254.0;
            for (var o = 0; o < outDim; o++)
            {
                var hw = Enumerable.Range(0, inDim).Max(i => MathF.Abs(w[i * outDim + o])) / 254.0;
                var bound = 0.0;
                for (var k = 0; k < inDim; k++) bound += hx * Math.Abs(w[k * outDim + o]) + Math.Abs(x[t * inDim + k]) * hw + hx * hw;
                var err = Math.Abs(y[t * outDim + o] - exact[t * outDim + o]);
                Assert.True(err <= bound * 1.0001 + 1e-6, $"row {t}, output {o}: error {err} above the bound {bound}");
                worst = Math.Max(worst, err / bound);
            }
        }
        Assert.True(worst > 0.01, $"the bound is far from tight ({worst}): the test would not see a wrong scale");
    }

    [Fact]
    public void Dequantized_IsWhatForwardMultipliesBy_AndAQuarterOfTheBytes()
    {
        float[] w = [1f, -2f, 0.5f, 4f, 0f, -1f]; // (3, 2)
        var layer = new Int8Linear(w, 3, 2);
        Assert.Equal(6 + 2 * 4, layer.Bytes);
        var dq = layer.Dequantized();
        // Output 0 is the column (1, 0.5, 0): scale 1/127; output 1 is (−2, 4, −1): scale 4/127.
        Assert.Equal([1f, MathF.Round(-2f * 127 / 4) * 4 / 127, MathF.Round(0.5f * 127) / 127, 4f, 0f, MathF.Round(-1f * 127 / 4) * 4 / 127], dq, (a, b) => MathF.Abs(a - b) < 1e-6f);
        Assert.Throws<ArgumentException>(() => new Int8Linear(w, 2, 2));
    }
}
