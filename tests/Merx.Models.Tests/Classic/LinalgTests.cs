using Merx.Models.Linalg;

namespace Merx.Models.Tests.Classic;

public sealed class LinalgTests
{
    private static float[] RandomSpd(int n, int seed)
    {
        var rng = new Random(seed);
        var r = new float[n * 7];
        for (var i = 0; i < r.Length; i++) r[i] = rng.NextSingle() < 0.3f ? 1 : 0;
        var a = new float[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                float s = 0;
                for (var p = 0; p < 7; p++) s += r[i * 7 + p] * r[j * 7 + p];
                a[i * n + j] = s + (i == j ? 2 : 0);
            }
        return a;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(95)]
    [InlineData(96)]
    [InlineData(97)]
    [InlineData(250)]
    public void SpdInverse_TimesOriginalIsIdentity(int n)
    {
        var a = RandomSpd(n, n);
        var inv = (float[])a.Clone();
        SpdInverse.Invert(inv, n);
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < n; p++) s += (double)a[i * n + p] * inv[p * n + j];
                Assert.True(Math.Abs(s - (i == j ? 1 : 0)) < 1e-4, $"({i},{j}) = {s}");
                Assert.Equal(inv[i * n + j], inv[j * n + i]);
            }
    }

    [Fact]
    public void SpdInverse_RejectsIndefiniteMatrix()
    {
        float[] a = [1, 2, 2, 1];
        Assert.Throws<ArgumentException>(() => SpdInverse.Invert(a, 2));
    }

    [Fact]
    public void SmallSpd_SolvesSystem()
    {
        var n = 6;
        var a = RandomSpd(n, 1);
        var x = Enumerable.Range(0, n).Select(i => i - 2.5).ToArray();
        var b = new double[n];
        for (var i = 0; i < n; i++) for (var j = 0; j < n; j++) b[i] += a[i * n + j] * x[j];
        SmallSpd.Solve(Array.ConvertAll(a, v => (double)v), b, n);
        for (var i = 0; i < n; i++) Assert.Equal(x[i], b[i], 6);
    }
}
