using Merx.Evaluation.Experiments;

namespace Merx.Evaluation.Tests.Experiments;

/// <summary>
/// Issue #8. Reference values: standard normal from Abramowitz &amp; Stegun (1964) Table 26.1 and
/// 26.5 (quantiles), to the digits printed there and beyond via erfc identities
/// (1 − Φ(x) = ½·erfc(x/√2)); chi-square quantiles from the NIST/SEMATECH e-Handbook of Statistical
/// Methods, Table 1.3.6.7.4, and the closed forms P(χ²₁ &gt; x) = erfc(√(x/2)), P(χ²₂ &gt; x) = e^(−x/2).
/// </summary>
public sealed class DistributionsTests
{
    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.0, 0.8413447460685429)]
    [InlineData(-1.0, 0.15865525393145707)]
    [InlineData(1.959963984540054, 0.975)]
    [InlineData(-3.0, 0.0013498980316300957)]
    [InlineData(2.5, 0.9937903346742238)]
    public void NormalCdf_MatchesTheTable(double x, double expected) => Assert.Equal(expected, Distributions.NormalCdf(x), 14);

    [Fact]
    public void NormalUpperTail_KeepsRelativePrecisionFarOut()
    {
        Assert.Equal(7.619853024160593e-24, Distributions.NormalUpperTail(10), 7.619853024160593e-24 * 1e-12);
        Assert.Equal(2.866515718791946e-7, Distributions.NormalUpperTail(5), 2.866515718791946e-7 * 1e-12);
    }

    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.001, -3.090232306167813)]
    [InlineData(0.9, 1.2815515655446004)]
    [InlineData(1e-10, -6.361340902404056)]
    public void NormalQuantile_MatchesTheTable(double p, double expected) => Assert.Equal(expected, Distributions.NormalQuantile(p), 12);

    [Fact]
    public void NormalQuantile_InvertsTheCdf_AndRefusesNonProbabilities()
    {
        for (var p = 0.0005; p < 1; p += 0.0137) Assert.Equal(p, Distributions.NormalCdf(Distributions.NormalQuantile(p)), 13);
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.NormalQuantile(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.NormalQuantile(1.5));
    }

    [Theory]
    [InlineData(3.841458820694124, 1, 0.95)]
    [InlineData(10.827566170662733, 1, 0.999)]
    [InlineData(5.991464547107979, 2, 0.95)]
    [InlineData(18.307038053275146, 10, 0.95)]
    [InlineData(2.5582121601872063, 10, 0.01)]
    public void ChiSquareCdf_MatchesTheNistTable(double x, double df, double expected) => Assert.Equal(expected, Distributions.ChiSquareCdf(x, df), 6);

    [Fact]
    public void ChiSquareUpperTail_MatchesClosedForms()
    {
        foreach (var x in new[] { 0.01, 0.5, 1, 3, 7.5, 20, 60 })
            Assert.Equal(Math.Exp(-x / 2), Distributions.ChiSquareUpperTail(x, 2), Math.Exp(-x / 2) * 1e-12);
        Assert.Equal(1.5239706048320995e-23, Distributions.ChiSquareUpperTail(100, 1), 1.5239706048320995e-23 * 1e-10);
        Assert.Equal(0.31731050786291404, Distributions.ChiSquareUpperTail(1, 1), 13);
        Assert.Equal(1, Distributions.ChiSquareUpperTail(0, 3));
    }

    [Fact]
    public void LogGamma_MatchesFactorialsAndSqrtPi()
    {
        Assert.Equal(0.5723649429247001, Distributions.LogGamma(0.5), 13); // ln √π
        Assert.Equal(12.801827480081469, Distributions.LogGamma(10), 12);  // ln 9!
        Assert.Equal(0, Distributions.LogGamma(1), 13);
    }
}
