using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Linalg;

namespace Merx.Models.Classic;

/// <summary>
/// Implicit-feedback ALS (Hu, Koren, Volinsky 2008): preference 1 for every observed cell with
/// confidence c = 1 + α·w (w = summed event-kind weight), squared loss weighted by c over all
/// cells plus λ‖·‖². Each sweep solves every user row then every item row with a few
/// conjugate-gradient steps warm-started from the previous value (Takács et al. 2011), using the
/// shared Gram matrix so a row costs O(nnz_row·k·steps + k²·steps). The sweep with the best
/// validation NDCG@10 is kept. Scoring folds the history in with the same normal equations,
/// solved exactly: (YᵀY + Σ_h (c_h−1) y_h y_hᵀ + λI) x = Σ_h c_h y_h, so new users and new events
/// are answered at once.
/// </summary>
public sealed partial class Als : IRecommender, IBatchScorer
{
    public const string ModelName = "als";
    private const int Version = 1;
    private float[] _items = [];   // (n, k)
    private double[] _gram = [];   // (k, k) YᵀY
    private int _n;

    public Als(int factors = 64, int iterations = 15, float alpha = 10f, float regularization = 0.1f, int cgSteps = 3, int validationUsers = 3000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(alpha);
        if (!(regularization > 0)) throw new ArgumentOutOfRangeException(nameof(regularization), "λ must be > 0");
        Factors = factors; Iterations = iterations; Alpha = alpha; Regularization = regularization; CgSteps = cgSteps; ValidationUsers = validationUsers;
    }

    public int Factors { get; }
    public int Iterations { get; }
    public float Alpha { get; }
    public float Regularization { get; }
    public int CgSteps { get; }
    public int ValidationUsers { get; }
    /// <summary>Sweeps run by the last Fit, and the one kept.</summary>
    public int EpochsRun { get; private set; }
    public int BestEpoch { get; private set; }
    public string Name => ModelName;
    public int ItemCount => _n;

    public void Fit(TrainingData data, FitOptions options)
    {
        int k = Factors, n = data.ItemCount;
        var x = data.Matrix; var xt = x.Transpose();
        var rng = new Random(options.Seed);
        var users = FactorScoring.RandomMatrix(data.UserCount, k, 0.01f, rng);
        var items = FactorScoring.RandomMatrix(n, k, 0.01f, rng);
        var val = ClassicHelpers.Sample(data.Validation, ValidationUsers, options.Seed);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _n = n;
        float[]? best = null; var bestScore = double.NegativeInfinity;
        for (var it = 1; it <= Iterations; it++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            Sweep(x, users, items, k);
            Sweep(xt, items, users, k);
            _items = items; _gram = Gram(items, n, k);
            var score = val.Count > 0 ? ClassicHelpers.ValidationNdcg(this, val) : 0;
            EpochsRun = it;
            options.Progress?.Report($"als: sweep {it} validation NDCG@10={score:F4} ({clock.Elapsed.TotalSeconds:F1} s)");
            if (score > bestScore || val.Count == 0) { bestScore = score; best = (float[])items.Clone(); BestEpoch = it; }
            else if (it - BestEpoch >= 3) break;
            if (options.TimeBudget is { } budget && clock.Elapsed > budget) break;
        }
        _items = best!; _gram = Gram(_items, n, k);
    }

    /// <summary>One half-sweep: solves every row of <paramref name="rows"/> against fixed <paramref name="cols"/>.</summary>
    private void Sweep(SparseMatrix m, float[] rows, float[] cols, int k)
    {
        var gram = Gram(cols, m.Cols, k);
        Parallel.For(0, m.Rows, () => new float[4 * k], (r, _, buf) =>
        {
            var idx = m.RowIndices(r); var w = m.RowValues(r);
            if (idx.Length == 0) return buf;
            var xr = rows.AsSpan(r * k, k);
            Span<float> res = buf.AsSpan(0, k), p = buf.AsSpan(k, k), ap = buf.AsSpan(2 * k, k), b = buf.AsSpan(3 * k, k);
            b.Clear();
            for (var t = 0; t < idx.Length; t++) TensorPrimitives.MultiplyAdd(cols.AsSpan(idx[t] * k, k), 1 + Alpha * w[t], b, b);
            Apply(gram, cols, idx, w, xr, ap, k);
            TensorPrimitives.Subtract(b, ap, res);
            res.CopyTo(p);
            var rs = TensorPrimitives.Dot(res, res);
            for (var s = 0; s < CgSteps && rs > 1e-20f; s++)
            {
                Apply(gram, cols, idx, w, p, ap, k);
                var step = rs / TensorPrimitives.Dot(p, ap);
                TensorPrimitives.MultiplyAdd(p, step, xr, xr);
                TensorPrimitives.MultiplyAdd(ap, -step, res, res);
                var rsNew = TensorPrimitives.Dot(res, res);
                TensorPrimitives.MultiplyAdd(p, rsNew / rs, res, p);
                rs = rsNew;
            }
            return buf;
        }, _ => { });
    }

    /// <summary>ap = (YᵀY + λI)·v + Σ_t α·w_t (y_t·v) y_t.</summary>
    private void Apply(double[] gram, float[] cols, ReadOnlySpan<int> idx, ReadOnlySpan<float> w, ReadOnlySpan<float> v, Span<float> ap, int k)
    {
        for (var i = 0; i < k; i++)
        {
            double s = Regularization * v[i];
            for (var j = 0; j < k; j++) s += gram[i * k + j] * v[j];
            ap[i] = (float)s;
        }
        for (var t = 0; t < idx.Length; t++)
        {
            var y = cols.AsSpan(idx[t] * k, k);
            TensorPrimitives.MultiplyAdd(y, Alpha * w[t] * TensorPrimitives.Dot(y, v), ap, ap);
        }
    }

    private static double[] Gram(float[] f, int rows, int k)
    {
        var g = new double[k * k];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < k; i++)
            {
                double fi = f[r * k + i];
                if (fi == 0) continue;
                for (var j = 0; j < k; j++) g[i * k + j] += fi * f[r * k + j];
            }
        return g;
    }
}
