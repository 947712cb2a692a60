using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// A CSR sparse matrix (rows × cols) of float weights; column indices are sorted and unique
/// within each row. The user×item interaction matrix that EASE, ALS, BPR and item-kNN read.
/// </summary>
public sealed class SparseMatrix
{
    public SparseMatrix(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values)
    {
        if (rowPtr.Length != rows + 1 || rowPtr[0] != 0 || rowPtr[rows] != colIdx.Length || values.Length != colIdx.Length)
            throw new ArgumentException("inconsistent CSR arrays");
        Rows = rows; Cols = cols; RowPtr = rowPtr; ColIdx = colIdx; Values = values;
    }

    public int Rows { get; }
    public int Cols { get; }
    public int NonZeros => ColIdx.Length;
    public int[] RowPtr { get; }
    public int[] ColIdx { get; }
    public float[] Values { get; }

    public ReadOnlySpan<int> RowIndices(int row) => ColIdx.AsSpan(RowPtr[row], RowPtr[row + 1] - RowPtr[row]);
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowPtr[row], RowPtr[row + 1] - RowPtr[row]);

    /// <summary>
    /// The user×item matrix of a set of sequences: each (user, item) cell sums the weights of its
    /// events' kinds. Cells whose total is 0 are dropped.
    /// </summary>
    public static SparseMatrix FromSequences(UserSequences seq, EventKindWeights? weights = null)
    {
        weights ??= EventKindWeights.Default;
        var rowPtr = new int[seq.UserCount + 1];
        var cols = new List<int>(seq.EventCount);
        var vals = new List<float>(seq.EventCount);
        var acc = new Dictionary<int, float>();
        for (var u = 0; u < seq.UserCount; u++)
        {
            acc.Clear();
            var items = seq.ItemsOf(u); var kinds = seq.KindsOf(u);
            for (var i = 0; i < items.Length; i++)
            {
                acc.TryGetValue(items[i], out var w);
                acc[items[i]] = w + weights[kinds[i]];
            }
            foreach (var (item, w) in acc.OrderBy(p => p.Key))
                if (w > 0) { cols.Add(item); vals.Add(w); }
            rowPtr[u + 1] = cols.Count;
        }
        return new SparseMatrix(seq.UserCount, seq.ItemCount, rowPtr, cols.ToArray(), vals.ToArray());
    }

    /// <summary>The transpose (cols × rows), with sorted column indices.</summary>
    public SparseMatrix Transpose()
    {
        var ptr = new int[Cols + 1];
        foreach (var c in ColIdx) ptr[c + 1]++;
        for (var c = 0; c < Cols; c++) ptr[c + 1] += ptr[c];
        var cursor = (int[])ptr.Clone();
        var idx = new int[NonZeros]; var val = new float[NonZeros];
        for (var r = 0; r < Rows; r++)
            for (var k = RowPtr[r]; k < RowPtr[r + 1]; k++)
            {
                var dst = cursor[ColIdx[k]]++;
                idx[dst] = r; val[dst] = Values[k];
            }
        return new SparseMatrix(Cols, Rows, ptr, idx, val);
    }
}
