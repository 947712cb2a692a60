using Merx.Numerics.Layers;
using Merx.Tests.Shared;

namespace Merx.Numerics.Tests.Layers;

public class LayerTests
{
    private static float[] Rand(int n, int seed, double scale = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static double[] D(float[] x) => x.Select(v => (double)v).ToArray();
    private static float[] F(double[] x) => x.Select(v => (float)v).ToArray();

    [Fact]
    public void LayerNorm_MatchesReference_AtEveryWidth()
    {
        for (var c = 1; c <= 256; c += c < 16 ? 1 : 17)
        {
            var x = Rand(3 * c, c); var gamma = Rand(c, c + 1); var beta = Rand(c, c + 2);
            var y = new float[3 * c]; var expect = new float[3 * c];
            LayerNorm.Forward(x, y, gamma, beta, new float[3], new float[3], 3, c);
            LayerNorm.ReferenceForward(x, expect, gamma, beta, 3, c);
            for (var i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expect[i]) < 1e-4, $"c={c} i={i}");
        }
    }

    [Fact]
    public void LayerNorm_Backward_MatchesFiniteDifferences()
    {
        const int n = 3, c = 6;
        var x = Rand(n * c, 1); var gamma = Rand(c, 2); var beta = Rand(c, 3); var w = Rand(n * c, 4);
        double Loss(double[] xs, double[] g, double[] b)
        {
            var y = new float[n * c];
            LayerNorm.ReferenceForward(F(xs), y, F(g), F(b), n, c);
            return y.Select((v, i) => (double)v * w[i]).Sum();
        }
        var dx = new float[n * c]; var dg = new float[c]; var db = new float[c];
        var mean = new float[n]; var rstd = new float[n];
        LayerNorm.Forward(x, new float[n * c], gamma, beta, mean, rstd, n, c);
        LayerNorm.Backward(w, x, mean, rstd, gamma, dx, dg, db, new float[c], n, c);
        GradCheck.AssertClose(GradCheck.Numerical(D(x), xs => Loss(xs, D(gamma), D(beta)), 1e-3), dx, 2e-2, 2e-3);
        GradCheck.AssertClose(GradCheck.Numerical(D(gamma), g => Loss(D(x), g, D(beta)), 1e-3), dg, 2e-2, 2e-3);
        GradCheck.AssertClose(GradCheck.Numerical(D(beta), b => Loss(D(x), D(gamma), b), 1e-3), db, 2e-2, 2e-3);
    }

    [Fact]
    public void Gelu_MatchesReference_AndFiniteDifferences()
    {
        for (var n = 0; n <= 256; n++)
        {
            var x = Rand(n, n, 4); var y = new float[n];
            Gelu.Forward(x, y, new float[n]);
            for (var i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - Gelu.Reference(x[i])) < 1e-5);
        }
        var xs = Rand(32, 9, 3); var dy = Rand(32, 10);
        var dx = new float[32];
        Gelu.Backward(xs, dy, dx);
        var numeric = GradCheck.Numerical(D(xs), v => v.Select((t, i) => Gelu.Reference(t) * dy[i]).Sum());
        GradCheck.AssertClose(numeric, dx, 1e-3, 1e-5);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 4)]
    [InlineData(4, 9)]
    public void AttentionForwardLast_MatchesTheReferencesLastRow(int start, int end)
    {
        const int c = 8, heads = 2;
        var qkv = Rand(9 * 3 * c, 7);
        var expect = new float[9 * c];
        CausalSelfAttention.ReferenceForward(qkv, expect, [start, end], c, heads);
        var att = new float[c];
        CausalSelfAttention.ForwardLast(qkv, att, new float[end - start], start, end, c, heads);
        for (var i = 0; i < c; i++) Assert.True(Math.Abs(att[i] - expect[(end - 1) * c + i]) < 1e-5, $"att[{i}]");
    }

    [Fact]
    public void Attention_MatchesReference_AndFiniteDifferences()
    {
        const int c = 8, heads = 2;
        int[] offsets = [0, 1, 4, 9];
        var n = offsets[^1];
        var qkv = Rand(n * 3 * c, 5);
        var probs = new float[CausalSelfAttention.ProbabilityLength(offsets, heads)];
        var att = new float[n * c]; var expect = new float[n * c];
        CausalSelfAttention.Forward(qkv, att, probs, offsets, c, heads);
        CausalSelfAttention.ReferenceForward(qkv, expect, offsets, c, heads);
        for (var i = 0; i < att.Length; i++) Assert.True(Math.Abs(att[i] - expect[i]) < 1e-5, $"att[{i}]");
        var w = Rand(n * c, 6);
        var dqkv = new float[n * 3 * c];
        CausalSelfAttention.Backward(qkv, probs, w, dqkv, new float[16], offsets, c, heads);
        var numeric = GradCheck.Numerical(D(qkv), v =>
        {
            var o = new float[n * c];
            CausalSelfAttention.ReferenceForward(F(v), o, offsets, c, heads);
            return o.Select((t, i) => (double)t * w[i]).Sum();
        }, 1e-3);
        GradCheck.AssertClose(numeric, dqkv, 2e-2, 2e-3);
    }

    [Fact]
    public void Attention_IsCausal_WithinEachSequence()
    {
        const int c = 4;
        int[] offsets = [0, 3, 6];
        var qkv = Rand(6 * 3 * c, 7);
        var a1 = new float[6 * c];
        CausalSelfAttention.Forward(qkv, a1, new float[CausalSelfAttention.ProbabilityLength(offsets, 1)], offsets, c, 1);
        qkv[2 * 3 * c + 2 * c] += 5;   // change the value of token 2 (last of sequence 0)
        qkv[3 * 3 * c + 2 * c] += 5;   // and token 3 (first of sequence 1)
        var a2 = new float[6 * c];
        CausalSelfAttention.Forward(qkv, a2, new float[CausalSelfAttention.ProbabilityLength(offsets, 1)], offsets, c, 1);
        Assert.Equal(a1[..(2 * c)], a2[..(2 * c)]);           // tokens 0, 1 cannot see token 2
        Assert.NotEqual(a1[(3 * c)..(4 * c)], a2[(3 * c)..(4 * c)]);
    }

    [Fact]
    public void SoftmaxCrossEntropy_LossAndGradient()
    {
        const int rows = 3, classes = 7;
        var z = Rand(rows * classes, 8, 3);
        int[] targets = [2, -1, 6];
        var reference = SoftmaxCrossEntropy.ReferenceLoss(z, targets, rows, classes);
        var grad = (float[])z.Clone();
        var loss = SoftmaxCrossEntropy.ForwardBackward(grad, targets, rows, classes, 1f);
        Assert.Equal(reference, loss, 4);
        var numeric = GradCheck.Numerical(D(z), v => SoftmaxCrossEntropy.ReferenceLoss(F(v), targets, rows, classes), 1e-3);
        GradCheck.AssertClose(numeric, grad, 1e-2, 1e-3);
        Assert.All(grad[classes..(2 * classes)], g => Assert.Equal(0f, g));
    }

    [Fact]
    public void SoftmaxCrossEntropy_WithTargetWeights_ScalesEachRowByItsTargetsWeight()
    {
        const int rows = 4, classes = 7;
        var z = Rand(rows * classes, 9, 3);
        int[] targets = [2, -1, 6, 2];
        var weights = Rand(classes, 10).Select(v => 0.2f + MathF.Abs(v) * 3).ToArray();
        var reference = SoftmaxCrossEntropy.ReferenceLoss(z, targets, rows, classes, weights);
        var grad = (float[])z.Clone();
        var loss = SoftmaxCrossEntropy.ForwardBackward(grad, targets, rows, classes, 0.5f, weights);
        Assert.Equal(reference, loss, 4);
        var numeric = GradCheck.Numerical(D(z), v => 0.5 * SoftmaxCrossEntropy.ReferenceLoss(F(v), targets, rows, classes, weights), 1e-3);
        GradCheck.AssertClose(numeric, grad, 1e-2, 1e-3);
        // Row by row: the unweighted row's loss times its target's weight.
        var plain = SoftmaxCrossEntropy.ReferenceLoss(z.AsSpan(0, classes), targets.AsSpan(0, 1), 1, classes);
        Assert.Equal(weights[2] * plain, SoftmaxCrossEntropy.ReferenceLoss(z.AsSpan(0, classes), targets.AsSpan(0, 1), 1, classes, weights), 6);
        // The parallel path gives the same.
        var big = Rand(2_100 * 500, 11, 3); var bigTargets = Enumerable.Range(0, 2_100).Select(r => r * 7 % 500).ToArray();
        var bigWeights = Rand(500, 12).Select(v => 0.2f + MathF.Abs(v)).ToArray();
        var serial = (float[])big.Clone(); var parallel = (float[])big.Clone();
        var a = SoftmaxCrossEntropy.ForwardBackward(serial, bigTargets, 2_100, 500, 1f / 2_100, bigWeights);
        var b = SoftmaxCrossEntropy.ForwardBackwardParallel(parallel, bigTargets, 0, 2_100, 500, 1f / 2_100, 2, bigWeights);
        Assert.Equal(a, b, 6);
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public void AdamW_MatchesReferenceStep_AndClippingBoundsTheNorm()
    {
        var p = Rand(300, 11); var g = Rand(300, 12);
        var opt = new AdamW(300, 0.01f, 0.9f, 0.98f, 1e-8f, 0.1f);
        var expect = p.Select((v, i) => AdamW.ReferenceStep(v, g[i], 0, 0, 1, 0.01f, 0.9f, 0.98f, 1e-8f, 0.1f).P).ToArray();
        opt.Step(p, g);
        for (var i = 0; i < p.Length; i++) Assert.Equal(expect[i], p[i], 5);
        var norm = GradientClipping.ClipGlobalNorm(g, 1f);
        Assert.True(norm > 1);
        Assert.Equal(1f, MathF.Sqrt(g.Sum(v => v * v)), 4);
        // In two parts: the joint norm, both parts scaled alike, as one buffer would be.
        var whole = Rand(300, 13); var a = whole[..120]; var b = whole[120..];
        var joint = GradientClipping.ClipGlobalNorm(a, b, 1f);
        Assert.Equal(MathF.Sqrt(Rand(300, 13).Sum(v => v * v)), joint, 3);
        GradientClipping.ClipGlobalNorm(whole, 1f);
        var parts = a.Concat(b).ToArray();
        for (var i = 0; i < whole.Length; i++) Assert.Equal(whole[i], parts[i], 1e-6f);
    }

    [Fact]
    public void AdamW_LazyRows_MoveOnlyTheListedRows_AsTheReferenceStepDoes()
    {
        // 10 rows of 4 below denseFrom 40, then 20 dense parameters; decay from 36 (inside row 9, which is never listed).
        const int rowLength = 4, denseFrom = 40, total = 60;
        float lr = 0.01f, b1 = 0.9f, b2 = 0.98f, eps = 1e-8f, wd = 0.1f;
        var p = Rand(total, 21); var lazy = new AdamW(total, lr, b1, b2, eps, wd) { DecayFrom = 36 };
        var plain = new AdamW(total, lr, b1, b2, eps, wd) { DecayFrom = 36 };
        var q = (float[])p.Clone();
        var m = new float[total]; var v = new float[total]; var r = (float[])p.Clone();
        int[][] steps = [[3, 0, 7], [7, 2], [5]];
        for (var t = 0; t < steps.Length; t++)
        {
            var rows = steps[t];
            var rowGrads = Rand(rows.Length * rowLength, 30 + t); var dense = Rand(total - denseFrom, 40 + t);
            lazy.StepRows(p, denseFrom, dense, rows, rowGrads, rowLength);
            // The plain twin, parameter by parameter: listed rows and the dense part step; every other row stays as it is.
            for (var k = 0; k < rows.Length; k++)
                for (var j = 0; j < rowLength; j++)
                {
                    var i = rows[k] * rowLength + j;
                    (r[i], m[i], v[i]) = AdamW.ReferenceStep(r[i], rowGrads[k * rowLength + j], m[i], v[i], t + 1, lr, b1, b2, eps, i >= 36 ? wd : 0);
                }
            for (var i = denseFrom; i < total; i++)
                (r[i], m[i], v[i]) = AdamW.ReferenceStep(r[i], dense[i - denseFrom], m[i], v[i], t + 1, lr, b1, b2, eps, wd);
            for (var i = 0; i < total; i++) Assert.Equal(r[i], p[i], 5);
            if (t == 0)
            {
                // On the first step (all moments zero) the lazy step is the plain step with zero gradients elsewhere.
                var full = new float[total];
                for (var k = 0; k < rows.Length; k++) rowGrads.AsSpan(k * rowLength, rowLength).CopyTo(full.AsSpan(rows[k] * rowLength));
                dense.CopyTo(full, denseFrom);
                plain.Step(q, full);
                for (var i = 0; i < total; i++)
                    if (i is < 36 or >= denseFrom) Assert.Equal(q[i], p[i], 6);   // row 9 is decayed by the plain step only
            }
        }
        Assert.Equal(p[9 * rowLength + 3], Rand(total, 21)[9 * rowLength + 3]);   // never listed, past DecayFrom: not decayed either
        Assert.Throws<ArgumentOutOfRangeException>(() => lazy.StepRows(p, denseFrom, new float[total - denseFrom], [10], new float[rowLength], rowLength));
    }
}
