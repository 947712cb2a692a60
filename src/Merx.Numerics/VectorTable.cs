using System.Numerics.Tensors;

namespace Merx.Numerics;

/// <summary>
/// A model's (Count, Dimension) item vectors as scoring, encoding and the item indexes read them: float32 rows, or int8
/// rows with one scale each (<see cref="Int8Rows"/>, x ≈ scale · q: d + 4 bytes a row instead of 4d), which an int8
/// inference copy keeps as its only item table. Every reader goes through a row (<see cref="Row"/>), a dot product
/// (<see cref="Dot"/>, <see cref="Dots"/>) or a cosine pass (<see cref="Cosines"/>), so one code path serves both
/// forms: the int8 form's scores are exactly those of its dequantized rows, up to float rounding. A float table wraps
/// the model's own array (never copied). Immutable once built; thread-safe to read.
/// </summary>
public sealed class VectorTable
{
    private readonly float[]? _floats;
    private readonly sbyte[]? _q;
    private readonly float[]? _scales;

    private VectorTable(int count, int d, float[]? floats, sbyte[]? q, float[]? scales)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count; Dimension = d; _floats = floats; _q = q; _scales = scales;
    }

    /// <summary>The first <paramref name="count"/> rows of d floats of <paramref name="values"/>, wrapped (not copied).</summary>
    public static VectorTable OfFloats(float[] values, int count, int d)
    {
        if ((long)count * d > values.Length) throw new ArgumentException($"values hold fewer than {count} rows of {d}", nameof(values));
        return new VectorTable(count, d, values, null, null);
    }

    /// <summary>Int8 rows with their scales, wrapped (not copied): row i is scales[i] · q[i·d .. i·d + d).</summary>
    public static VectorTable OfInt8(sbyte[] q, float[] scales, int d)
    {
        if ((long)scales.Length * d != q.Length) throw new ArgumentException($"q must hold {scales.Length} rows of {d}", nameof(q));
        return new VectorTable(scales.Length, d, null, q, scales);
    }

    /// <summary>(n, d) floats, wrapped (not copied); a clear error when the length is not whole rows.</summary>
    public static VectorTable OfFloats(float[] values, int d)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        if (values.Length % d != 0) throw new ArgumentException($"vectors must be whole rows of {d}: {values.Length} values", nameof(values));
        return OfFloats(values, values.Length / d, d);
    }

    /// <summary>(rows, d) floats quantized row by row into an int8 table.</summary>
    public static VectorTable Quantize(ReadOnlySpan<float> x, int d)
    {
        if (x.Length % d != 0) throw new ArgumentException($"x must hold whole rows of {d}", nameof(x));
        var q = new sbyte[x.Length];
        var scales = new float[x.Length / d];
        Int8Rows.Quantize(x, d, q, scales);
        return OfInt8(q, scales, d);
    }

    public int Count { get; }
    public int Dimension { get; }
    /// <summary>Whether rows are stored in int8 with a scale each.</summary>
    public bool IsInt8 => _q is not null;
    /// <summary>Bytes the rows take: 4d a row in float, d + 4 in int8.</summary>
    public long Bytes => IsInt8 ? (long)Count * (Dimension + sizeof(float)) : 4L * Count * Dimension;

    /// <summary>Whether this float table wraps <paramref name="values"/> (a model checks that its cached table is current).</summary>
    public bool Wraps(float[] values) => ReferenceEquals(_floats, values);

    /// <summary>(Count, Dimension) the float rows; a clear error for an int8 table (read rows, or <see cref="ToArray"/>).</summary>
    public ReadOnlySpan<float> Floats => _floats is { } f
        ? f.AsSpan(0, Count * Dimension)
        : throw new InvalidOperationException("an int8 vector table holds no float rows: read them through Row, Dot or ToArray");

    /// <summary>(Count, Dimension) the int8 rows of an int8 table (empty for a float one).</summary>
    public ReadOnlyMemory<sbyte> Quantized => _q;
    /// <summary>(Count) their scales (empty for a float table).</summary>
    public ReadOnlyMemory<float> Scales => _scales;

    /// <summary>Row <paramref name="i"/>: the float row itself, or the int8 row dequantized into <paramref name="scratch"/> (d).</summary>
    public ReadOnlySpan<float> Row(int i, Span<float> scratch)
    {
        var d = Dimension;
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
        if (_floats is { } f) return f.AsSpan(i * d, d);
        var s = _scales![i];
        var q = _q.AsSpan(i * d, d);
        for (var k = 0; k < d; k++) scratch[k] = q[k] * s;
        return scratch[..d];
    }

    /// <summary>Row <paramref name="i"/> as a new array.</summary>
    public float[] RowCopy(int i) => Row(i, new float[Dimension]).ToArray();

    /// <summary>Every row, dequantized for an int8 table, as one new (Count, Dimension) array.</summary>
    public float[] ToArray()
    {
        if (_floats is not null) return Floats.ToArray();
        var all = new float[(long)Count * Dimension];
        for (var i = 0; i < Count; i++) Row(i, all.AsSpan(i * Dimension, Dimension));
        return all;
    }

    /// <summary>Row i · x.</summary>
    public float Dot(int i, ReadOnlySpan<float> x)
    {
        var d = Dimension;
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
        if (x.Length != d) throw new ArgumentException($"x must have {d} entries", nameof(x));
        return _floats is { } f ? TensorPrimitives.Dot(f.AsSpan(i * d, d), x) : _scales![i] * Int8Rows.MixedDot(_q.AsSpan(i * d, d), x);
    }

    /// <summary>y[r] = row (first + r) · x for r &lt; y.Length: the full pass over a block of rows.</summary>
    public void Dots(ReadOnlySpan<float> x, Span<float> y, int first = 0)
    {
        var d = Dimension;
        if (x.Length != d) throw new ArgumentException($"x must have {d} entries", nameof(x));
        if (first < 0 || first + y.Length > Count) throw new ArgumentOutOfRangeException(nameof(first));
        if (_floats is { } f) { RowDots.Forward(f.AsSpan(first * d, y.Length * d), x, y); return; }
        for (var r = 0; r < y.Length; r++) y[r] = _scales![first + r] * Int8Rows.MixedDot(_q.AsSpan((first + r) * d, d), x);
    }

    /// <summary>y[r] = cos(row (first + r), x) for r &lt; y.Length; a row or x of norm 0 scores 0 (<see cref="RowDots.Cosines"/>).</summary>
    public void Cosines(ReadOnlySpan<float> x, Span<float> y, int first = 0)
    {
        var d = Dimension;
        if (x.Length != d) throw new ArgumentException($"x must have {d} entries", nameof(x));
        if (first < 0 || first + y.Length > Count) throw new ArgumentOutOfRangeException(nameof(first));
        if (_floats is { } f) { RowDots.Cosines(f.AsSpan(first * d, y.Length * d), x, y); return; }
        var xNorm = TensorPrimitives.Norm(x);
        for (var r = 0; r < y.Length; r++)
        {
            // The scale cancels: cos(s·q, x) = q·x / (|q| |x|).
            var q = _q.AsSpan((first + r) * d, d);
            var qNorm = MathF.Sqrt(Int8Rows.SquaredNorm(q));
            y[r] = qNorm > 0 && xNorm > 0 ? Int8Rows.MixedDot(q, x) / (qNorm * xNorm) : 0;
        }
    }

    /// <summary>|row i|.</summary>
    public float Norm(int i)
    {
        var d = Dimension;
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
        return _floats is { } f ? TensorPrimitives.Norm(f.AsSpan(i * d, d)) : MathF.Abs(_scales![i]) * MathF.Sqrt(Int8Rows.SquaredNorm(_q.AsSpan(i * d, d)));
    }
}
