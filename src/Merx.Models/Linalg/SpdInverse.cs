namespace Merx.Models.Linalg;

/// <summary>
/// Inverse of a dense symmetric positive-definite n×n float matrix (row-major), in place, by
/// blocked Cholesky: A = L·Lᵀ (left-looking), W = L⁻¹ (block columns in parallel), A⁻¹ = Wᵀ·W.
/// About n³ flops, all but O(n²·nb) of them in <see cref="DenseKernels.Abt"/>; one n×n scratch.
/// Written for EASE (12k items: ~1.8 TFlop). Diagonal blocks are factored in double.
/// </summary>
public static unsafe class SpdInverse
{
    public const int BlockSize = 96;

    /// <summary>Replaces <paramref name="a"/> (n×n SPD, full storage) by its inverse (full storage).</summary>
    /// <param name="scratch">Optional n×n work buffer to reuse across calls (its contents are overwritten).</param>
    /// <exception cref="ArgumentException">The matrix is not positive definite.</exception>
    public static void Invert(float[] a, int n, CancellationToken cancel = default, float[]? scratch = null)
    {
        if ((long)n * n > a.Length) throw new ArgumentException($"need {n}×{n} elements", nameof(a));
        if (n == 0) return;
        var wt = scratch is not null && scratch.LongLength >= (long)n * n ? scratch : new float[(long)n * n];
        Array.Clear(wt, 0, n * n);
        var blocks = (n + BlockSize - 1) / BlockSize;
        var winv = new float[blocks][];
        fixed (float* pa = a, pw = wt)
        {
            var A = pa; var Wt = pw;
            Cholesky(A, n, blocks, cancel);
            for (var ib = 0; ib < blocks; ib++) winv[ib] = InvertLowerBlock(A, n, ib);
            DenseKernels.ParallelFor(blocks, jb => { cancel.ThrowIfCancellationRequested(); InverseColumn(A, Wt, n, blocks, jb, winv); });
            var pairs = new List<(int I, int J)>();
            for (var ib = 0; ib < blocks; ib++) for (var jb = 0; jb <= ib; jb++) pairs.Add((ib, jb));
            DenseKernels.ParallelFor(pairs.Count, p =>
            {
                var (ib, jb) = pairs[p];
                int i0 = ib * BlockSize, j0 = jb * BlockSize, ni = Width(n, ib), nj = Width(n, jb);
                DenseKernels.Abt(Wt + (long)i0 * n + i0, n, Wt + (long)j0 * n + i0, n, A + (long)i0 * n + j0, n, ni, nj, n - i0, 1f, false);
            });
            for (var i = 0; i < n; i++)
                for (var j = i + 1; j < n; j++) A[(long)i * n + j] = A[(long)j * n + i];
        }
    }

    private static int Width(int n, int b) => Math.Min(BlockSize, n - b * BlockSize);

    private static void Cholesky(float* A, int n, int blocks, CancellationToken cancel)
    {
        for (var kb = 0; kb < blocks; kb++)
        {
            cancel.ThrowIfCancellationRequested();
            int k0 = kb * BlockSize, kw = Width(n, kb);
            if (k0 > 0)
                DenseKernels.ParallelFor(blocks - kb, r =>
                {
                    var ib = kb + r; int i0 = ib * BlockSize, ni = Width(n, ib);
                    DenseKernels.Abt(A + (long)i0 * n, n, A + (long)k0 * n, n, A + (long)i0 * n + k0, n, ni, kw, k0, -1f, true);
                });
            FactorDiagonal(A + (long)k0 * n + k0, n, kw, k0);
            var diag = A + (long)k0 * n + k0;
            DenseKernels.ParallelFor(n - k0 - kw, r =>
            {
                var row = A + (long)(k0 + kw + r) * n + k0;
                for (var j = 0; j < kw; j++)
                {
                    var s = row[j] - DenseKernels.Dot(row, diag + (long)j * n, j);
                    row[j] = s / diag[(long)j * n + j];
                }
            });
        }
    }

    private static void FactorDiagonal(float* d, int n, int w, int offset)
    {
        for (var j = 0; j < w; j++)
        {
            double s = d[(long)j * n + j];
            for (var p = 0; p < j; p++) s -= (double)d[(long)j * n + p] * d[(long)j * n + p];
            if (!(s > 0)) throw new ArgumentException($"matrix is not positive definite (pivot {offset + j} is {s})");
            var l = Math.Sqrt(s);
            d[(long)j * n + j] = (float)l;
            for (var i = j + 1; i < w; i++)
            {
                double t = d[(long)i * n + j];
                for (var p = 0; p < j; p++) t -= (double)d[(long)i * n + p] * d[(long)j * n + p];
                d[(long)i * n + j] = (float)(t / l);
            }
        }
    }

    /// <summary>Inverse of diagonal block ib of L (lower, w×w), row-major, by forward substitution in double.</summary>
    private static float[] InvertLowerBlock(float* A, int n, int ib)
    {
        int i0 = ib * BlockSize, w = Width(n, ib);
        var inv = new double[w * w];
        for (var c = 0; c < w; c++)
            for (var r = c; r < w; r++)
            {
                double s = r == c ? 1 : 0;
                for (var p = c; p < r; p++) s -= A[(long)(i0 + r) * n + i0 + p] * inv[p * w + c];
                inv[r * w + c] = s / A[(long)(i0 + r) * n + i0 + r];
            }
        return Array.ConvertAll(inv, x => (float)x);
    }

    /// <summary>Block column jb of W = L⁻¹, stored transposed as block row jb of Wt (columns ≥ j0).</summary>
    private static void InverseColumn(float* A, float* Wt, int n, int blocks, int jb, float[][] winv)
    {
        int j0 = jb * BlockSize, nj = Width(n, jb);
        var d = winv[jb];
        for (var a = 0; a < nj; a++)
            for (var b = 0; b < nj; b++) Wt[(long)(j0 + a) * n + j0 + b] = d[b * nj + a];
        var tt = new float[BlockSize * BlockSize];
        fixed (float* T = tt)
            for (var ib = jb + 1; ib < blocks; ib++)
            {
                int i0 = ib * BlockSize, ni = Width(n, ib);
                // Tᵀ (nj×ni) = Σ_k W[k][j]ᵀ L[i][k]ᵀ over k in [j0, i0)
                DenseKernels.Abt(Wt + (long)j0 * n + j0, n, A + (long)i0 * n + j0, n, T, ni, nj, ni, i0 - j0, 1f, false);
                fixed (float* Di = winv[ib])
                    DenseKernels.Abt(T, ni, Di, ni, Wt + (long)j0 * n + i0, n, nj, ni, ni, -1f, false);
            }
    }
}
