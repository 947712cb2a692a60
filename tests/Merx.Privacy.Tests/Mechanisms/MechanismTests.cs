using Merx.Privacy.Mechanisms;

namespace Merx.Privacy.Tests.Mechanisms;

public class MechanismTests
{
    private static (double Mean, double Var) Moments(Func<double> draw, int n)
    {
        double sum = 0, sum2 = 0;
        for (var i = 0; i < n; i++) { var x = draw(); sum += x; sum2 += x * x; }
        var mean = sum / n;
        return (mean, sum2 / n - mean * mean);
    }

    [Fact]
    public void Seeded_source_is_reproducible_and_seeds_differ()
    {
        var a = new SeededNoiseSource(7);
        var b = new SeededNoiseSource(7);
        var c = new SeededNoiseSource(8);
        var sa = Enumerable.Range(0, 16).Select(_ => a.NextBits()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 16).Select(_ => b.NextBits()));
        Assert.NotEqual(sa, Enumerable.Range(0, 16).Select(_ => c.NextBits()));
    }

    [Fact]
    public void Uniform_gaussian_and_laplace_have_the_right_moments()
    {
        const int n = 200_000;
        var rng = new SeededNoiseSource(42);
        var (um, uv) = Moments(rng.NextUniform, n);
        Assert.Equal(0.5, um, 0.003);
        Assert.Equal(1 / 12.0, uv, 0.002);
        var (gm, gv) = Moments(rng.NextGaussian, n);
        Assert.Equal(0, gm, 0.01);
        Assert.Equal(1, gv, 0.015);          // SE of the variance ≈ √(2/n) = 0.003
        var (lm, lv) = Moments(() => rng.NextLaplace(3), n);
        Assert.Equal(0, lm, 0.04);
        Assert.Equal(18, lv, 18 * 0.03);     // 2b²; SE ≈ b²√(20/n) = 0.09
        var below = Enumerable.Range(0, n).Count(_ => rng.NextBelow(10) < 3);
        Assert.Equal(0.3, below / (double)n, 0.005);
    }

    [Fact]
    public void Crypto_source_has_the_right_moments()
    {
        var rng = new CryptoNoiseSource();
        var (gm, gv) = Moments(rng.NextGaussian, 100_000);
        Assert.Equal(0, gm, 0.03);   // 6 standard errors: not flaky
        Assert.Equal(1, gv, 0.03);
    }

    [Fact]
    public void Laplace_mechanism_noise_has_variance_two_b_squared()
    {
        var m = new LaplaceMechanism(epsilon: 0.5, sensitivity: 2);
        Assert.Equal(4, m.Scale);
        var rng = new SeededNoiseSource(1);
        var (mean, v) = Moments(() => m.Release(1000, rng), 100_000);
        Assert.Equal(1000, mean, 0.1);
        Assert.Equal(32, v, 32 * 0.04);
        Assert.All(Enumerable.Range(0, 1000).Select(_ => m.ReleaseCount(0, rng)), c => Assert.True(c >= 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaplaceMechanism(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaplaceMechanism(1, -1));
    }

    [Fact]
    public void Gaussian_mechanism_noise_has_variance_sigma_squared()
    {
        var m = new GaussianMechanism(1.0, 1e-5, 1);
        var rng = new SeededNoiseSource(2);
        var buf = new double[100_000];
        m.ReleaseInPlace(buf, rng);
        var mean = buf.Average();
        var v = buf.Select(x => (x - mean) * (x - mean)).Average();
        Assert.Equal(m.Sigma * m.Sigma, v, m.Sigma * m.Sigma * 0.03);
    }

    /// <summary>Hockey-stick divergence ∫ max(0, p(x) − e^ε q(x)) dx, p = N(Δ, σ²), q = N(0, σ²), by quadrature.</summary>
    private static double HockeyStick(double eps, double sigma, double delta1)
    {
        double lo = -12 * sigma, hi = delta1 + 12 * sigma, sum = 0;
        const int n = 400_000;
        var h = (hi - lo) / n;
        for (var k = 0; k <= n; k++)
        {
            var x = lo + k * h;
            var p = Math.Exp(-(x - delta1) * (x - delta1) / (2 * sigma * sigma));
            var q = Math.Exp(-x * x / (2 * sigma * sigma));
            sum += (k == 0 || k == n ? 0.5 : 1) * Math.Max(0, p - Math.Exp(eps) * q);
        }
        return sum * h / (Math.Sqrt(2 * Math.PI) * sigma);
    }

    [Theory]
    [InlineData(0.1, 1e-5)]
    [InlineData(0.5, 1e-6)]
    [InlineData(1.0, 1e-5)]
    [InlineData(4.0, 1e-3)]
    [InlineData(10.0, 1e-7)]
    public void Analytic_sigma_is_exactly_calibrated(double eps, double delta)
    {
        var sigma = GaussianMechanism.AnalyticSigma(eps, delta, 1);
        Assert.Equal(delta, GaussianMechanism.PrivacyProfile(eps, sigma, 1), delta * 1e-6);
        Assert.Equal(delta, HockeyStick(eps, sigma, 1), delta * 1e-3);
        Assert.True(HockeyStick(eps, sigma * 0.98, 1) > delta); // 2 % less noise is no longer enough
        Assert.Equal(2 * sigma, GaussianMechanism.AnalyticSigma(eps, delta, 2), sigma * 1e-9); // scales with Δ
    }

    [Theory]
    [InlineData(0.1, 1e-5)]
    [InlineData(0.5, 1e-6)]
    [InlineData(0.9, 1e-3)]
    public void Classic_sigma_is_valid_but_looser(double eps, double delta)
    {
        var classic = GaussianMechanism.ClassicSigma(eps, delta, 1);
        Assert.Equal(Math.Sqrt(2 * Math.Log(1.25 / delta)) / eps, classic, 12);
        Assert.True(GaussianMechanism.PrivacyProfile(eps, classic, 1) <= delta);
        Assert.True(GaussianMechanism.AnalyticSigma(eps, delta, 1) < classic);
    }

    [Fact]
    public void Classic_sigma_refuses_epsilon_one_or_more()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GaussianMechanism.ClassicSigma(1, 1e-5, 1));
        Assert.Contains("ε < 1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianMechanism(1, 0, 1));
    }
}
