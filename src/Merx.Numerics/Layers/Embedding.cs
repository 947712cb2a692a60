using System.Numerics.Tensors;

namespace Merx.Numerics.Layers;

/// <summary>
/// Embedding lookup and its backward: gather rows of a (V, D) table by id into (N, D), scaled;
/// the backward scatter-adds (N, D) gradient rows into the (V, D) table gradient, so an id that
/// occurs several times in a batch accumulates all of its gradients.
/// </summary>
public static class Embedding
{
    /// <summary>y[t] = scale · table[ids[t]] (+ y[t] when accumulate); table (V, D), y (N, D).</summary>
    public static void Gather(ReadOnlySpan<float> table, ReadOnlySpan<int> ids, Span<float> y, int d, float scale = 1f, bool accumulate = false)
    {
        var n = ids.Length;
        var v = d == 0 ? 0 : table.Length / d;
        if (y.Length < n * d) throw new ArgumentException($"y must hold ids·d = {n * d} elements");
        for (var t = 0; t < n; t++)
        {
            var id = ids[t];
            if ((uint)id >= (uint)v) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} at {t} is outside the table's {v} rows");
            var row = y.Slice(t * d, d);
            if (accumulate) TensorPrimitives.MultiplyAdd(table.Slice(id * d, d), scale, row, row);
            else TensorPrimitives.Multiply(table.Slice(id * d, d), scale, row);
        }
    }

    /// <summary>dTable[ids[t]] += scale · dy[t] for every t; dTable (V, D), dy (N, D).</summary>
    public static void ScatterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<int> ids, Span<float> dTable, int d, float scale = 1f)
    {
        var n = ids.Length;
        var v = d == 0 ? 0 : dTable.Length / d;
        if (dy.Length < n * d) throw new ArgumentException($"dy must hold ids·d = {n * d} elements");
        for (var t = 0; t < n; t++)
        {
            var id = ids[t];
            if ((uint)id >= (uint)v) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} at {t} is outside the table's {v} rows");
            var row = dTable.Slice(id * d, d);
            TensorPrimitives.MultiplyAdd(dy.Slice(t * d, d), scale, row, row);
        }
    }

    /// <summary>Plain double-precision twin of <see cref="Gather"/>.</summary>
    public static void ReferenceGather(ReadOnlySpan<float> table, ReadOnlySpan<int> ids, Span<float> y, int d, float scale = 1f, bool accumulate = false)
    {
        for (var t = 0; t < ids.Length; t++)
            for (var j = 0; j < d; j++)
                y[t * d + j] = (float)((accumulate ? y[t * d + j] : 0.0) + (double)scale * table[ids[t] * d + j]);
    }

    /// <summary>Plain double-precision twin of <see cref="ScatterAdd"/>.</summary>
    public static void ReferenceScatterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<int> ids, Span<float> dTable, int d, float scale = 1f)
    {
        for (var t = 0; t < ids.Length; t++)
            for (var j = 0; j < d; j++)
                dTable[ids[t] * d + j] = (float)(dTable[ids[t] * d + j] + (double)scale * dy[t * d + j]);
    }
}
