namespace Merx.Numerics.Tests;

public class RowDotsTests
{
    [Theory]
    [InlineData(0, 64)]
    [InlineData(1, 64)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(7, 64)]
    [InlineData(33, 32)]
    [InlineData(101, 128)]
    [InlineData(5, 256)]
    [InlineData(9, 12)]   // not a multiple of 8: the general path
    [InlineData(6, 264)]  // wider than the vector path
    [InlineData(3, 1)]
    public void Forward_MatchesTheDoubleReference(int rows, int d)
    {
        var rng = new Random(rows * 1000 + d);
        var a = Enumerable.Range(0, rows * d + 5).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(); // a longer than needed
        var x = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var fast = new float[rows];
        var reference = new float[rows];
        RowDots.Forward(a, x, fast);
        RowDots.Reference(a, x, reference);
        for (var r = 0; r < rows; r++) Assert.Equal(reference[r], fast[r], 1e-4f * MathF.Sqrt(d));
    }

    [Fact]
    public void Forward_RejectsAMatrixTooShortForTheOutput()
    {
        Assert.Throws<ArgumentException>(() => RowDots.Forward(new float[63], new float[8], new float[8]));
    }
}
