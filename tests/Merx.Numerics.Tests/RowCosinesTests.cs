namespace Merx.Numerics.Tests;

public class RowCosinesTests
{
    [Theory]
    [InlineData(0, 64)]
    [InlineData(1, 64)]
    [InlineData(2, 8)]
    [InlineData(7, 64)]
    [InlineData(33, 32)]
    [InlineData(5, 256)]
    [InlineData(9, 12)]   // not a multiple of 8: the general path
    [InlineData(6, 264)]  // wider than the vector path
    [InlineData(3, 1)]
    public void Forward_MatchesTheDoubleReference(int rows, int d)
    {
        var rng = new Random(rows * 1000 + d);
        var a = Enumerable.Range(0, rows * d + 5).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(); // a longer than needed
        if (rows > 1) a.AsSpan(d, d).Clear();                                                              // a zero row scores 0
        var x = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var fast = new float[rows];
        var reference = new float[rows];
        RowCosines.Forward(a, x, fast);
        RowCosines.Reference(a, x, reference);
        for (var r = 0; r < rows; r++) Assert.Equal(reference[r], fast[r], 1e-5f);
        if (rows > 1) Assert.Equal(0f, fast[1]);
    }

    [Fact]
    public void Forward_IsTheCosine_AndZeroForAZeroQuery()
    {
        float[] a = [3, 4, 0, 0, 0, 0, 0, 0, /* row 2 */ -6, -8, 0, 0, 0, 0, 0, 0];
        var y = new float[2];
        RowCosines.Forward(a, [1, 0, 0, 0, 0, 0, 0, 0], y);
        Assert.Equal([0.6f, -0.6f], y);
        RowCosines.Forward(a, new float[8], y);
        Assert.Equal([0f, 0f], y);
        Assert.Throws<ArgumentException>(() => RowCosines.Forward(new float[15], new float[8], new float[2]));
    }
}
