using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Privacy;
using Merx.Models.Training;
using Merx.Numerics;

namespace Merx.Models.Classic;

/// <summary>
/// User-level DP-SGD for BPR-MF. The released model is the item side (factors Q (n, k) and biases
/// b (n)); user vectors are folded in from the history at query time, so a private fit keeps no
/// trained user vector at all. Each step Poisson-samples users; a sampled user's vector is folded
/// in from their own training items with the item side fixed (the same BPR updates as at query
/// time, from zero), then their gradient on the item side is that of their mean BPR loss over
/// (positive, uniform negative) pairs, clipped to C. The clipped sum gets N(0, σ²C²) noise, is divided
/// by q·N and taken by Adam (with decoupled decay λ on the item side: data-independent
/// regularization). A user's gradient touches only the rows of their items and negatives, so it is
/// clipped sparsely; a step allocates nothing. This file is BPR's training surface
/// (<see cref="IPerUserGradients"/>: the per-user gradient and the update); the DP-SGD loop is
/// <see cref="DpSgdTrainer"/>'s.
/// </summary>
public sealed partial class Bpr : IPrivatelyTrainable
{
    /// <summary>Default per-user clipping norm C (the per-user loss is a mean over the user's items).</summary>
    public const float DefaultDpClipNorm = 1f;
    /// <summary>Default planned passes over the users.</summary>
    public const double DefaultDpEpochs = 30;
    /// <summary>Default Adam learning rate of private training.</summary>
    public const float DefaultDpLearningRate = 0.01f;

    /// <inheritdoc />
    public PrivacySpent? PrivacySpent { get; private set; }

    private sealed class PrivateBuffers(int n, int k, int seed)
    {
        public readonly float[] Grad = new float[n * k + n];   // one user's gradient, zero outside Touched rows; (Q; b) flat: factors then biases
        public readonly int[] Stamp = new int[n];              // item → last user (+1) that marked it a positive
        public readonly int[] Touched = new int[2 * n];
        public readonly bool[] IsTouched = new bool[n];
        public readonly float[] P = new float[k], Gp = new float[k];
        public int Marker;
        public ulong Rng = (ulong)seed * 0x9E3779B97F4A7C15UL + 1;
        public int NextItem(int n) { Rng = XorShift64.Next(Rng); return (int)((Rng >> 33) % (ulong)n); }
    }

    /// <summary>BPR's DP-SGD surface: θ = (Q (n, k); b (n)) flat, a user's gradient from their training row, Adam on each part.</summary>
    private sealed class DpSurface(Bpr model, SparseMatrix x, PrivateBuffers b, float learningRate) : IPerUserGradients
    {
        private readonly AdamW _optQ = new(model._n * model.Factors, learningRate, weightDecay: model.Regularization);
        private readonly AdamW _optB = new(model._n, learningRate, weightDecay: model.Regularization);

        public PrivateBuffers Buffers => b;

        public int ParameterCount => model._n * model.Factors + model._n;

        public (double Loss, float Scale)? AddClippedGradient(int user, float clip, float[] sum)
        {
            var row = x.RowIndices(user);
            if (row.Length == 0 || row.Length >= model._n) return null;
            return model.ClipUserInto(b, row, clip, sum);
        }

        public void ApplyUpdate(float[] gradient)
        {
            var nk = model._n * model.Factors;
            _optQ.Step(model._items, gradient.AsSpan(0, nk));
            _optB.Step(model._bias, gradient.AsSpan(nk));
        }
    }

    private void FitPrivate(TrainingData data, FitOptions options, DpTrainingOptions dp)
    {
        dp.Validate();
        int k = Factors;
        _n = data.ItemCount; _u = 0; _users = [];               // no trained user vector is kept or released
        var rng = new Random(options.Seed);
        _items = FactorScoring.RandomMatrix(_n, k, 0.1f, rng);
        _bias = new float[_n];
        var x = data.Matrix;
        var users = data.UserCount;
        if (_n < 2) throw new ArgumentException("private BPR needs at least two items");
        var clock = Stopwatch.StartNew();
        var surface = new DpSurface(this, x, new PrivateBuffers(_n, k, options.Seed), dp.LearningRate ?? DefaultDpLearningRate);
        var q = dp.SamplingRate ?? DpSgdRun.DefaultRate(users);
        long? cap = null;
        if (options.TimeBudget is { } budget)
        {
            // Dry run on up to 256 users, twice (JIT warm-up, then timed); nothing is released.
            var probe = Enumerable.Range(0, users).Where(u => x.RowPtr[u + 1] > x.RowPtr[u]).Take(256).ToArray();
            var scratch = new float[surface.ParameterCount];
            var perUser = 0.0;
            for (var pass = 0; pass < 2; pass++)
            {
                var t = Stopwatch.StartNew();
                foreach (var u in probe) ClipUserInto(surface.Buffers, x.RowIndices(u), 1f, scratch);
                Array.Clear(scratch);
                perUser = probe.Length == 0 ? 0 : t.Elapsed.TotalSeconds / probe.Length;
            }
            var perStep = 5e-9 * surface.ParameterCount * 6;       // noise and Adam over (n, k+1): a few ns a coordinate
            cap = Math.Max(1, (long)((budget - clock.Elapsed).TotalSeconds * 0.95 / (perStep + q * users * perUser)));
        }
        var run = DpSgdRun.Plan(dp with { SamplingRate = q }, users, surface.ParameterCount, q, DefaultDpClipNorm, DefaultDpEpochs, cap, options.Seed);
        options.Progress?.Report($"bpr private: {run.Describe()}");
        new DpSgdTrainer(surface, run).Run(options, "bpr private", clock);
        PrivacySpent = run.Report();
        EpochsRun = BestEpoch = (int)Math.Ceiling(run.Steps * run.Rate);
        options.Progress?.Report($"bpr private: done, {run.Steps:N0} steps, ε = {PrivacySpent.Epsilon:F4}, δ = {PrivacySpent.Delta:G4}, {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>
    /// Folds the user's vector in from <paramref name="row"/> (their distinct training items, sorted),
    /// computes their item-side gradient into b.Grad, adds it clipped to C into <paramref name="sum"/> (n·k + n), clears b.Grad.
    /// Returns (mean BPR loss, clip factor; 0 for a non-finite gradient).
    /// </summary>
    private (double Loss, float Scale) ClipUserInto(PrivateBuffers b, ReadOnlySpan<int> row, float clip, float[] sum)
    {
        int k = Factors, nk = _n * k;
        var p = b.P.AsSpan(); var gp = b.Gp.AsSpan();
        p.Clear(); gp.Clear();
        var mark = ++b.Marker;
        foreach (var i in row) b.Stamp[i] = mark;
        for (var e = 0; e < FoldInEpochs; e++)                                    // the query-time fold-in, items fixed
            foreach (var i in row) Step(p, gp, i, NegativeFor(b, mark), [], [], updateItems: false);
        double loss = 0;
        var touched = 0;
        var w = 1f / row.Length;
        foreach (var i in row)
        {
            var j = NegativeFor(b, mark);
            var qi = _items.AsSpan(i * k, k); var qj = _items.AsSpan(j * k, k);
            var xuij = _bias[i] - _bias[j];
            for (var f = 0; f < k; f++) xuij += p[f] * (qi[f] - qj[f]);
            var g = w / (1f + MathF.Exp(xuij));                                  // −∂(mean loss)/∂x_uij
            loss += w * Math.Log(1 + Math.Exp(-xuij));
            AddRow(b, i, -g, p, nk, ref touched);                                 // ∂/∂q_i = −g·p, ∂/∂b_i = −g
            AddRow(b, j, g, p, nk, ref touched);                                  // ∂/∂q_j = +g·p, ∂/∂b_j = +g
        }
        double ss = 0;
        for (var t = 0; t < touched; t++)
        {
            var item = b.Touched[t];
            foreach (var v in b.Grad.AsSpan(item * k, k)) ss += (double)v * v;
            ss += (double)b.Grad[nk + item] * b.Grad[nk + item];
        }
        var norm = Math.Sqrt(ss);
        var scale = !double.IsFinite(norm) ? 0f : norm > clip ? (float)(clip / norm) : 1f;
        for (var t = 0; t < touched; t++)
        {
            var item = b.Touched[t];
            var gq = b.Grad.AsSpan(item * k, k); var sq = sum.AsSpan(item * k, k);
            for (var f = 0; f < k; f++) sq[f] += scale * gq[f];
            sum[nk + item] += scale * b.Grad[nk + item];
            gq.Clear(); b.Grad[nk + item] = 0; b.IsTouched[item] = false;
        }
        return (loss, scale);
    }

    private void AddRow(PrivateBuffers b, int item, float g, ReadOnlySpan<float> p, int nk, ref int touched)
    {
        var k = Factors;
        if (!b.IsTouched[item]) { b.IsTouched[item] = true; b.Touched[touched++] = item; }
        var gq = b.Grad.AsSpan(item * k, k);
        for (var f = 0; f < k; f++) gq[f] += g * p[f];
        b.Grad[nk + item] += g;
    }

    /// <summary>A uniform item that is not one of the current user's (marked) items.</summary>
    private int NegativeFor(PrivateBuffers b, int mark)
    {
        int j;
        do j = b.NextItem(_n); while (b.Stamp[j] == mark);
        return j;
    }

    /// <summary>Test hook: the clipped contribution (n·k + n) of one user with items <paramref name="row"/> (sorted, distinct) at the current item side.</summary>
    internal float[] ClippedContribution(ReadOnlySpan<int> row, float clip, int seed)
    {
        var sum = new float[_n * Factors + _n];
        ClipUserInto(new PrivateBuffers(_n, Factors, seed), row, clip, sum);
        return sum;
    }

    /// <summary>Bytes allocated by one private step after warm-up steps (the test of "a step allocates nothing"); call after a private fit.</summary>
    internal long MeasurePrivateStepAllocations(TrainingData data, DpTrainingOptions dp)
    {
        var surface = new DpSurface(this, data.Matrix, new PrivateBuffers(_n, Factors, 1), DefaultDpLearningRate);
        // Planned with RDP: the accountant plays no part in what a step allocates, and RDP plans 1,000 epochs instantly.
        var run = DpSgdRun.Plan(dp with { Accountant = DpAccountant.Rdp }, data.UserCount, surface.ParameterCount, DpSgdRun.DefaultRate(data.UserCount), DefaultDpClipNorm, 1000, null, 1);
        var trainer = new DpSgdTrainer(surface, run);
        for (var i = 0; i < 20; i++) trainer.Step();
        var before = GC.GetAllocatedBytesForCurrentThread();
        trainer.Step();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
