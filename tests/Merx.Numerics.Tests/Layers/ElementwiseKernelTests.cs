using Merx.Numerics.Layers;
using Merx.Tests.Shared;

namespace Merx.Numerics.Tests.Layers;

/// <summary>Softmax, dropout, embedding gather/scatter-add and residual add against their scalar twins and finite differences.</summary>
public class ElementwiseKernelTests
{
    private static float[] Rand(int n, int seed, double scale = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static double[] D(float[] x) => x.Select(v => (double)v).ToArray();
    private static float[] F(double[] x) => x.Select(v => (float)v).ToArray();

    private static void Close(float[] expect, float[] got, float tol, string what)
    {
        Assert.Equal(expect.Length, got.Length);
        for (var i = 0; i < expect.Length; i++)
            Assert.True(MathF.Abs(expect[i] - got[i]) <= tol * (1 + MathF.Abs(expect[i])), $"{what}[{i}]: expected {expect[i]}, got {got[i]}");
    }

    [Fact]
    public void Softmax_MatchesReference_AtEveryLength()
    {
        for (var n = 0; n <= 256; n++)
        {
            var x = Rand(2 * n, n, 8); var dy = Rand(2 * n, n + 1000);
            var y = new float[2 * n]; var expect = new float[2 * n];
            Softmax.Forward(x, y, 2, n); Softmax.ReferenceForward(x, expect, 2, n);
            Close(expect, y, 1e-5f, $"softmax n={n}");
            if (n > 0) Assert.Equal(1.0, y.Take(n).Sum(v => (double)v), 4);
            var dx = new float[2 * n]; var dexpect = new float[2 * n];
            Softmax.Backward(y, dy, dx, 2, n); Softmax.ReferenceBackward(y, dy, dexpect, 2, n);
            Close(dexpect, dx, 1e-5f, $"softmax backward n={n}");
        }
    }

    [Fact]
    public void Softmax_IsFinite_ForLargeLogits()
    {
        float[] x = [1000f, 999f, -1000f];
        var y = new float[3];
        Softmax.Forward(x, y, 1, 3);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.True(y[0] > y[1] && y[1] > y[2]);
    }

    [Fact]
    public void Softmax_Backward_MatchesFiniteDifferences()
    {
        const int rows = 3, cols = 7;
        var x = Rand(rows * cols, 1, 2); var w = Rand(rows * cols, 2);
        double Loss(double[] xs)
        {
            var y = new float[rows * cols];
            Softmax.ReferenceForward(F(xs), y, rows, cols);
            return y.Select((v, i) => (double)v * w[i]).Sum();
        }
        var yf = new float[rows * cols]; var dx = new float[rows * cols];
        Softmax.Forward(x, yf, rows, cols);
        Softmax.Backward(yf, w, dx, rows, cols);
        GradCheck.AssertClose(GradCheck.Numerical(D(x), Loss, 1e-3), dx, 2e-2, 2e-4);
    }

    [Fact]
    public void Dropout_MatchesReference_AtEveryLength_AndKeepsTheExpectedFraction()
    {
        ulong rng = 42;
        long kept = 0, total = 0;
        for (var n = 0; n <= 256; n++)
        {
            var x = Rand(n, n); var y = new float[n]; var mask = new float[n]; var expect = new float[n];
            Dropout.Forward(x, y, mask, 0.3f, training: true, ref rng);
            Dropout.ReferenceApply(x, mask, expect);
            Close(expect, y, 1e-6f, $"dropout n={n}");
            Assert.All(mask, m => Assert.True(m == 0f || MathF.Abs(m - 1f / 0.7f) < 1e-6f));
            kept += mask.Count(m => m != 0); total += n;
            var dy = Rand(n, n + 7); var dx = new float[n];
            Dropout.Backward(dy, mask, dx);
            Dropout.ReferenceApply(dy, mask, expect);
            Close(expect, dx, 1e-6f, $"dropout backward n={n}");
        }
        Assert.InRange(kept / (double)total, 0.68, 0.72);
    }

    [Fact]
    public void Dropout_IsIdentity_WhenNotTraining_AndReproducible_PerSeed()
    {
        var x = Rand(100, 3); var y = new float[100]; var mask = new float[100];
        ulong rng = 5;
        Dropout.Forward(x, y, mask, 0.5f, training: false, ref rng);
        Assert.Equal(x, y);
        Assert.Equal(5UL, rng);
        ulong a = 9, b = 9;
        var m1 = new float[100]; var m2 = new float[100];
        Dropout.Forward(x, y, m1, 0.5f, true, ref a);
        Dropout.Forward(x, y, m2, 0.5f, true, ref b);
        Assert.Equal(m1, m2);
        Assert.Throws<ArgumentException>(() => Dropout.Forward(x, y, mask, 1f, true, ref a));
    }

    [Fact]
    public void Dropout_Backward_MatchesFiniteDifferences()
    {
        const int n = 20;
        var x = Rand(n, 1); var w = Rand(n, 2); var mask = new float[n]; var y = new float[n];
        ulong rng = 11;
        Dropout.Forward(x, y, mask, 0.4f, true, ref rng);
        double Loss(double[] xs)
        {
            var out_ = new float[n];
            Dropout.ReferenceApply(F(xs), mask, out_);
            return out_.Select((v, i) => (double)v * w[i]).Sum();
        }
        var dx = new float[n];
        Dropout.Backward(w, mask, dx);
        GradCheck.AssertClose(GradCheck.Numerical(D(x), Loss, 1e-3), dx, 1e-2, 1e-4);
    }

    [Fact]
    public void Embedding_GatherAndScatterAdd_MatchReference_AtEveryLength()
    {
        const int d = 5, vocab = 17;
        var table = Rand(vocab * d, 1);
        for (var n = 0; n <= 256; n++)
        {
            var rng = new Random(n);
            var ids = Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray(); // repeats: scatter must accumulate
            var y = Rand(n * d, n + 1); var expect = (float[])y.Clone();
            Embedding.Gather(table, ids, y, d, 1.5f, accumulate: n % 2 == 0);
            Embedding.ReferenceGather(table, ids, expect, d, 1.5f, accumulate: n % 2 == 0);
            Close(expect, y, 1e-6f, $"gather n={n}");
            var dy = Rand(n * d, n + 2); var dt = Rand(vocab * d, n + 3); var dexpect = (float[])dt.Clone();
            Embedding.ScatterAdd(dy, ids, dt, d, 0.5f);
            Embedding.ReferenceScatterAdd(dy, ids, dexpect, d, 0.5f);
            Close(dexpect, dt, 1e-5f, $"scatter-add n={n}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Gather(table, [vocab], new float[d], d));
    }

    [Fact]
    public void Embedding_ScatterAdd_IsTheGradientOfGather()
    {
        const int d = 4, vocab = 6;
        int[] ids = [2, 0, 2, 5, 2];
        var table = Rand(vocab * d, 1); var w = Rand(ids.Length * d, 2);
        double Loss(double[] t)
        {
            var y = new float[ids.Length * d];
            Embedding.ReferenceGather(F(t), ids, y, d, 8f);
            return y.Select((v, i) => (double)v * w[i]).Sum();
        }
        var dt = new float[vocab * d];
        Embedding.ScatterAdd(w, ids, dt, d, 8f);
        GradCheck.AssertClose(GradCheck.Numerical(D(table), Loss, 1e-3), dt, 1e-2, 1e-3);
    }

    [Fact]
    public void Residual_MatchesReference_AtEveryLength_AndPassesGradientToBothBranches()
    {
        for (var n = 0; n <= 256; n++)
        {
            var x = Rand(n, n); var fx = Rand(n, n + 1); var y = new float[n]; var expect = new float[n];
            Residual.Forward(x, fx, y); Residual.ReferenceForward(x, fx, expect);
            Close(expect, y, 1e-6f, $"residual n={n}");
        }
        const int m = 9;
        var a = Rand(m, 1); var b = Rand(m, 2); var w = Rand(m, 3);
        double Loss(double[] xs, double[] fs)
        {
            var y = new float[m];
            Residual.ReferenceForward(F(xs), F(fs), y);
            return y.Select((v, i) => (double)v * w[i]).Sum();
        }
        var stream = new float[m];
        Residual.Backward(stream, w); // the skip path: d(loss)/dx = dy
        GradCheck.AssertClose(GradCheck.Numerical(D(a), xs => Loss(xs, D(b)), 1e-3), stream, 1e-2, 1e-4);
        GradCheck.AssertClose(GradCheck.Numerical(D(b), fs => Loss(D(a), fs), 1e-3), w, 1e-2, 1e-4);
    }
}
