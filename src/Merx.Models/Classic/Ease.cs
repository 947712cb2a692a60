using System.Diagnostics;
using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Linalg;

namespace Merx.Models.Classic;

/// <summary>
/// EASE (Steck 2019): a dense item×item weight matrix in closed form,
/// B = I − P·diagMat(1/diag(P)) with P = (XᵀX + λI)⁻¹ and diag(B) = 0, so an item never
/// recommends itself. λ is picked from a grid by validation NDCG@10: the given λ values, or by
/// default 0.8, 3.2 and 12.8 times the mean diagonal of XᵀX (the mean item weight), so the grid
/// follows the data's density (Beauty: ≈ 10, 40, 160; ML-1M: ≈ 210, 850, 3400). The n×n
/// inverse costs ~n³ flops and 4n² bytes per buffer (three buffers while tuning), so catalogs
/// above <see cref="MaxItems"/> are refused rather than exhausting memory.
/// </summary>
public sealed class Ease : IRecommender
{
    public const string ModelName = "ease";
    private const int Version = 1;
    private static readonly float[] RelativeGrid = [0.8f, 3.2f, 12.8f];
    private readonly float[]? _explicit;
    private float[] _b = [];
    private int _n;

    public Ease(IReadOnlyList<float>? lambdas = null, int maxItems = 30_000, int validationUsers = 5000)
    {
        _explicit = lambdas is { Count: > 0 } ? lambdas.ToArray() : null;
        if (_explicit is not null && _explicit.Any(l => !(l > 0))) throw new ArgumentOutOfRangeException(nameof(lambdas), "every λ must be > 0");
        Lambdas = _explicit ?? [];
        MaxItems = maxItems; ValidationUsers = validationUsers;
    }

    /// <summary>The λ grid tried on validation (one n×n inverse each): the given one, or the data-relative one of the last Fit.</summary>
    public IReadOnlyList<float> Lambdas { get; private set; }
    public int MaxItems { get; }
    public int ValidationUsers { get; }
    /// <summary>The λ selected by the last Fit (or read from the file).</summary>
    public float Lambda { get; private set; }
    public string Name => ModelName;
    public int ItemCount => _n;

    public void Fit(TrainingData data, FitOptions options)
    {
        var n = data.ItemCount;
        if (n > MaxItems)
            throw new InvalidOperationException($"EASE needs a dense {n}×{n} inverse ({4.0 * n * n / (1 << 30):F1} GiB per buffer); the limit is {MaxItems} items. Use itemknn or als for this catalog.");
        var x = data.Matrix;
        var xt = x.Transpose();
        var val = ClassicHelpers.Sample(data.Validation, ValidationUsers, options.Seed);
        if (_explicit is null)
        {
            double sumSq = 0;
            foreach (var v in x.Values) sumSq += (double)v * v;
            var meanDiag = Math.Max(1e-3, sumSq / Math.Max(1, n));
            Lambdas = RelativeGrid.Select(m => (float)Math.Round(m * meanDiag, 3)).ToArray();
        }
        var clock = Stopwatch.StartNew();
        float[]? best = null; var bestScore = double.NegativeInfinity; var bestLambda = Lambdas[0];
        float[]? work = null;
        var scratch = new float[(long)n * n];
        foreach (var lambda in Lambdas)
        {
            var start = clock.Elapsed;
            work ??= new float[(long)n * n];
            Gram(x, xt, work, n, lambda);
            SpdInverse.Invert(work, n, options.Cancellation, scratch);
            ToWeights(work, n);
            double score = 0;
            if (Lambdas.Count > 1 && val.Count > 0)
                score = ClassicHelpers.ValidationNdcg(new Ease { _b = work, _n = n }, val);
            options.Progress?.Report($"ease: λ={lambda} validation NDCG@10={score:F4} ({(clock.Elapsed - start).TotalSeconds:F1} s)");
            if (score > bestScore) { (best, work) = (work, best); bestScore = score; bestLambda = lambda; }
            var spent = clock.Elapsed;
            if (options.TimeBudget is { } budget && spent + (spent - start) > budget) break;
            if (Lambdas.Count == 1 || val.Count == 0) break;
        }
        _b = best!; _n = n; Lambda = bestLambda;
    }

    /// <summary>XᵀX + λI into <paramref name="g"/> (row i = Σ_u x_ui·x_u, rows in parallel).</summary>
    private static void Gram(SparseMatrix x, SparseMatrix xt, float[] g, int n, float lambda)
    {
        Parallel.For(0, n, i =>
        {
            var row = g.AsSpan((int)((long)i * n), n);
            row.Clear();
            var users = xt.RowIndices(i); var wi = xt.RowValues(i);
            for (var a = 0; a < users.Length; a++)
            {
                var items = x.RowIndices(users[a]); var vals = x.RowValues(users[a]);
                for (var b = 0; b < items.Length; b++) row[items[b]] += wi[a] * vals[b];
            }
            row[i] += lambda;
        });
    }

    private static void ToWeights(float[] p, int n)
    {
        var diag = new float[n];
        for (var j = 0; j < n; j++) diag[j] = p[(long)j * n + j];
        var inv = Array.ConvertAll(diag, d => -1f / d);
        Parallel.For(0, n, i =>
        {
            var row = p.AsSpan((int)((long)i * n), n);
            TensorPrimitives.Multiply(row, inv, row);
            row[i] = 0;
        });
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        scores.Clear();
        foreach (var h in ClassicHelpers.Distinct(history, _n))
            TensorPrimitives.Add(scores, _b.AsSpan((int)((long)h * _n), _n), scores);
    }

    /// <summary>Items j with the largest weight B[item, j]: what this item predicts most.</summary>
    public ScoredItem[] SimilarItems(int item, int n)
    {
        if ((uint)item >= (uint)_n) return [];
        return ClassicHelpers.TopExcluding(_b.AsSpan((int)((long)item * _n), _n).ToArray(), item, n);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(_n); writer.Write(Lambda);
        ModelIO.WriteArray(writer, _b);
    }

    public static Ease Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "EASE");
        var n = reader.ReadInt32(); var lambda = reader.ReadSingle();
        var b = ModelIO.ReadArray<float>(reader);
        if (b.LongLength != (long)n * n) throw new InvalidDataException("EASE payload is inconsistent");
        return new Ease([lambda]) { _b = b, _n = n, Lambda = lambda };
    }
}
