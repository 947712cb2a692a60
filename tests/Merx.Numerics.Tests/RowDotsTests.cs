namespace Merx.Numerics.Tests;

public class RowDotsTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 0, 64 }, { 1, 64 }, { 2, 8 }, { 3, 8 }, { 4, 16 }, { 7, 64 }, { 33, 32 }, { 101, 128 }, { 5, 256 },
        { 9, 12 },   // not a multiple of 8: the general path
        { 6, 264 },  // wider than the vector path
        { 3, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Dots_and_cosines_match_their_double_references(int rows, int d)
    {
        var rng = new Random(rows * 1000 + d);
        var a = Enumerable.Range(0, rows * d + 5).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(); // a longer than needed
        if (rows > 1) a.AsSpan(d, d).Clear();                                                              // a zero row: cosine 0
        var x = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var fast = new float[rows];
        var reference = new float[rows];
        RowDots.Forward(a, x, fast);
        RowDots.Reference(a, x, reference);
        for (var r = 0; r < rows; r++) Assert.Equal(reference[r], fast[r], 1e-4f * MathF.Sqrt(d));
        RowDots.Cosines(a, x, fast);
        RowDots.ReferenceCosines(a, x, reference);
        for (var r = 0; r < rows; r++) Assert.Equal(reference[r], fast[r], 1e-5f);
        if (rows > 1) Assert.Equal(0f, fast[1]);
    }

    [Fact]
    public void Forward_RejectsAMatrixTooShortForTheOutput()
    {
        Assert.Throws<ArgumentException>(() => RowDots.Forward(new float[63], new float[8], new float[8]));
    }

    [Fact]
    public void Cosines_AreTheCosine_AndZeroForAZeroQuery()
    {
        float[] a = [3, 4, 0, 0, 0, 0, 0, 0, /* row 2 */ -6, -8, 0, 0, 0, 0, 0, 0];
        var y = new float[2];
        RowDots.Cosines(a, [1, 0, 0, 0, 0, 0, 0, 0], y);
        Assert.Equal([0.6f, -0.6f], y);
        RowDots.Cosines(a, new float[8], y);
        Assert.Equal([0f, 0f], y);
        Assert.Throws<ArgumentException>(() => RowDots.Cosines(new float[15], new float[8], new float[2]));
    }
}
