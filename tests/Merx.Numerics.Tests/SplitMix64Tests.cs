namespace Merx.Numerics.Tests;

public class SplitMix64Tests
{
    [Fact]
    public void Outputs_MatchTheReferenceImplementation()
    {
        // Vigna's splitmix64.c from state 0 (the values every port checks against)
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextULong());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.NextULong());
        Assert.Equal(0x06C45D188009454FUL, rng.NextULong());
    }

    [Fact]
    public void RestoredState_RepeatsTheStream()
    {
        var a = new SplitMix64(42);
        a.NextULong();
        var b = new SplitMix64(a.State);
        for (var i = 0; i < 10; i++) Assert.Equal(a.NextDouble(), b.NextDouble());
    }

    [Fact]
    public void BoxMuller_IsTheTextbookFormula_AndScalesExactly()
    {
        const double u1 = 0.3, u2 = 0.7;
        var textbook = Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
        Assert.Equal(textbook, Gaussian.BoxMuller(u1, u2));
        Assert.Equal(0.02 * Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2), Gaussian.BoxMuller(u1, u2, 0.02));
    }

    [Fact]
    public void Samplers_HaveUnitVariance()
    {
        // n = 200,000 draws: the sample variance's sd is √(2/n) ≈ 0.0032, so ±0.015 is > 4.5 sd
        const int n = 200_000;
        var rng = new SplitMix64(7);
        var uniform = new Uniform(new SplitMix64(8));
        double boxMuller = 0, polar = 0;
        for (var i = 0; i < n / 2; i++)
        {
            var g1 = rng.NextGaussian(); var g2 = rng.NextGaussian();
            boxMuller += g1 * g1 + g2 * g2;
            var p1 = Gaussian.Polar(ref uniform, out var p2);
            polar += p1 * p1 + p2 * p2;
        }
        Assert.InRange(boxMuller / n, 0.985, 1.015);
        Assert.InRange(polar / n, 0.985, 1.015);
    }

    private struct Uniform(SplitMix64 rng) : IUniformSource
    {
        private SplitMix64 _rng = rng;
        public double NextUniform() => _rng.NextDouble();
    }
}
