namespace Merx.Numerics.Tests;

public class Int8RowsTests
{
    [Fact]
    public void Dots_EqualTheScalarTwinExactly_AtEveryLength0To256()
    {
        var rng = new Random(21);
        for (var d = 0; d <= 256; d++)
            foreach (var rows in new[] { 0, 1, 2, 3, 4, 5, 8, 11 })
            {
                var a = new sbyte[rows * d + 7]; // longer than needed
                var x = new sbyte[d];
                for (var i = 0; i < a.Length; i++) a[i] = (sbyte)rng.Next(-128, 128); // rows may hold −128
                for (var i = 0; i < d; i++) x[i] = (sbyte)rng.Next(-127, 128);
                var fast = new int[rows];
                var reference = new int[rows];
                Int8Rows.Dots(a, x, fast);
                Int8Rows.Reference(a, x, reference);
                Assert.Equal(reference, fast);
            }
    }

    [Fact]
    public void Dots_AtTheExtremes_DoNotOverflow()
    {
        const int d = 512;
        var a = Enumerable.Repeat((sbyte)-127, 3 * d).ToArray();
        var x = Enumerable.Repeat((sbyte)-127, d).ToArray();
        var y = new int[3];
        Int8Rows.Dots(a, x, y);
        Assert.Equal([127 * 127 * d, 127 * 127 * d, 127 * 127 * d], y);
        // Four rows and more take the VNNI kernel (rows read as a + 128), the AVX-512BW one, or the AVX2 one (|a| against the
        // query with a's signs: 2·128·127 per pair at most; a query holding −128 goes to the scalar twin): −128 and 127 too.
        foreach (var (av, xv) in new[] { ((sbyte)-127, (sbyte)-127), ((sbyte)-128, (sbyte)127), ((sbyte)-128, (sbyte)-127), ((sbyte)127, (sbyte)-128), ((sbyte)-128, (sbyte)-128) })
        {
            var many = new int[5];
            Int8Rows.Dots(Enumerable.Repeat(av, 5 * d).ToArray(), Enumerable.Repeat(xv, d).ToArray(), many);
            Assert.All(many, v => Assert.Equal(av * xv * d, v));
        }
    }

    [Fact]
    public void Quantize_KeepsEachRowWithinHalfAStep_AndMapsTheLargestEntryTo127()
    {
        float[] x = [0.5f, -1f, 0.25f, 0f, /* row 2 */ 0f, 0f, 0f, 0f, /* row 3 */ 3f, 1f, -0.01f, 2.9f];
        var q = new sbyte[12];
        var scale = new float[3];
        Int8Rows.Quantize(x, 4, q, scale);
        Assert.Equal([64, -127, 32, 0, 0, 0, 0, 0, 127, 42, 0, 123], q.Select(v => (int)v).ToArray());
        Assert.Equal([1f / 127, 0f, 3f / 127], scale);
        for (var i = 0; i < x.Length; i++) Assert.True(MathF.Abs(x[i] - q[i] * scale[i / 4]) <= scale[i / 4] / 2 + 1e-7f);
    }

    [Fact]
    public void Quantize_RejectsNonFiniteValuesAndRaggedInput()
    {
        Assert.Throws<ArgumentException>(() => Int8Rows.Quantize([1f, float.NaN], 2, new sbyte[2], new float[1]));
        Assert.Throws<ArgumentException>(() => Int8Rows.Quantize([1f, 2f, 3f], 2, new sbyte[3], new float[2]));
    }
}
