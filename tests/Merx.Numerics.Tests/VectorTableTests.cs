namespace Merx.Numerics.Tests;

/// <summary>Issue 21: the item table as scoring, encoding and the indexes read it, in float or int8.</summary>
public class VectorTableTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void MixedDot_MatchesItsReferenceTwin_AtEveryLength0To200()
    {
        var rng = new Random(7);
        for (var d = 0; d <= 200; d++)
        {
            var q = Enumerable.Range(0, d).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
            var x = Random(d, d);
            var expected = Int8Rows.MixedDotReference(q, x);
            Assert.Equal(expected, Int8Rows.MixedDot(q, x), 1e-4f * (1 + MathF.Abs(expected)) + 1e-3f);
        }
        Assert.Equal(0, Int8Rows.MixedDot([], []));
        Assert.Throws<ArgumentException>(() => Int8Rows.MixedDot(new sbyte[3], new float[4]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_reader_sees_the_same_rows(bool int8)
    {
        const int n = 300, d = 24;
        var x = Random(n * d, 3);
        x.AsSpan(5 * d, d).Clear();                                  // a zero row
        var table = int8 ? VectorTable.Quantize(x, d) : VectorTable.OfFloats(x, d);
        Assert.Equal(int8, table.IsInt8);
        Assert.Equal(int8 ? n * (d + 4L) : 4L * n * d, table.Bytes);
        var rows = table.ToArray();
        var scratch = new float[d];
        for (var i = 0; i < n; i++)
        {
            var row = table.Row(i, scratch).ToArray();
            Assert.Equal(rows.AsSpan(i * d, d).ToArray(), row);
            // int8: each entry within half a step (row max / 254) of the float one; float: the rows themselves.
            var half = int8 ? x.AsSpan(i * d, d).ToArray().Max(MathF.Abs) / 254f * 1.0001f : 0f;
            for (var k = 0; k < d; k++) Assert.True(MathF.Abs(row[k] - x[i * d + k]) <= half, $"row {i}, entry {k}");
        }
        var query = Random(d, 11);
        var dots = new float[n];
        var cosines = new float[n - 7];
        table.Dots(query, dots);
        table.Cosines(query, cosines, first: 7);
        for (var i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * d, d);
            double dot = 0, norm = 0, qn = 0;
            for (var k = 0; k < d; k++) { dot += row[k] * (double)query[k]; norm += row[k] * (double)row[k]; qn += query[k] * (double)query[k]; }
            Assert.Equal(dot, table.Dot(i, query), 1e-4);
            Assert.Equal(dot, dots[i], 1e-4);
            Assert.Equal(Math.Sqrt(norm), table.Norm(i), 1e-4);
            if (i >= 7) Assert.Equal(norm == 0 ? 0 : dot / Math.Sqrt(norm * qn), cosines[i - 7], 1e-4);
        }
        if (int8) Assert.Throws<InvalidOperationException>(() => table.Floats.Length);
        else Assert.Equal(x, table.Floats.ToArray());
    }

    [Fact]
    public void Bad_shapes_get_clear_errors()
    {
        Assert.Throws<ArgumentException>(() => VectorTable.OfFloats(new float[7], 2));
        Assert.Throws<ArgumentException>(() => VectorTable.OfFloats(new float[7], 4, 2));
        Assert.Throws<ArgumentException>(() => VectorTable.OfInt8(new sbyte[7], new float[2], 4));
        var table = VectorTable.OfFloats(new float[8], 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Row(4, new float[2]));
        Assert.Throws<ArgumentException>(() => table.Dot(0, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Dots(new float[2], new float[3], first: 2));
    }
}
