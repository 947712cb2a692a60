using Merx.Privacy.Accounting;

namespace Merx.Privacy.Tests.Accounting;

public class RdpAccountantTests
{
    private const double Q = 256 / 60000.0;

    [Fact]
    public void Composition_is_additive_and_epsilon_grows_with_steps()
    {
        var a = new RdpAccountant();
        a.Step(Q, 1.1, 1000);
        var b = new RdpAccountant();
        for (var i = 0; i < 10; i++) b.Step(Q, 1.1, 100);
        for (var k = 0; k < a.Rdp.Count; k++) Assert.Equal(a.Rdp[k], b.Rdp[k], a.Rdp[k] * 1e-12);
        Assert.Equal(1000, b.Steps);
        var e1 = b.GetEpsilon(1e-5).Epsilon;
        b.Step(Q, 1.1, 1000);
        Assert.True(b.GetEpsilon(1e-5).Epsilon > e1);
        Assert.True(b.GetEpsilon(1e-3).Epsilon < b.GetEpsilon(1e-5).Epsilon);
    }

    [Fact]
    public void Improved_conversion_is_never_looser()
    {
        foreach (var sigma in new[] { 0.6, 1.0, 2.0, 5.0 })
        {
            var classic = RdpAccountant.Epsilon(Q, sigma, 5000, 1e-5, conversion: RdpConversion.Classic);
            var improved = RdpAccountant.Epsilon(Q, sigma, 5000, 1e-5);
            Assert.True(improved < classic, $"σ={sigma}: {improved} vs {classic}");
        }
    }

    [Fact]
    public void Delta_and_epsilon_conversions_are_inverse()
    {
        var acc = new RdpAccountant();
        acc.Step(Q, 1.1, 14000);
        var (eps, _) = acc.GetEpsilon(1e-5);
        var (delta, _) = RdpToDp.Delta(acc.Orders, acc.Rdp, eps);
        Assert.InRange(delta, 0.5e-5, 1.0000001e-5);
    }

    [Fact]
    public void Steps_allowed_is_the_last_step_within_the_target()
    {
        var t = RdpAccountant.StepsAllowed(Q, 1.1, 3.0, 1e-5);
        Assert.True(RdpAccountant.Epsilon(Q, 1.1, t, 1e-5) <= 3.0);
        Assert.True(RdpAccountant.Epsilon(Q, 1.1, t + 1, 1e-5) > 3.0);
        Assert.InRange(t, 5000, 50000);
        Assert.Equal(0, RdpAccountant.StepsAllowed(1.0, 0.5, 1.0, 1e-5)); // one unsampled σ=0.5 step already costs more
    }

    [Fact]
    public void Can_step_stops_a_loop_at_the_target()
    {
        var acc = new RdpAccountant();
        var steps = 0;
        while (acc.CanStep(0.01, 1.0, 2.0, 1e-5)) { acc.Step(0.01, 1.0); steps++; }
        Assert.True(acc.GetEpsilon(1e-5).Epsilon <= 2.0);
        Assert.Equal(RdpAccountant.StepsAllowed(0.01, 1.0, 2.0, 1e-5), steps);
    }

    [Fact]
    public void Noise_multiplier_for_target_inverts_epsilon()
    {
        // TF-Privacy's Test0 setting (N = 60000, batch 150, 15 epochs, δ = 1e-5): σ = 1.3 gives
        // ε = 0.7242 (improved conversion), so asking for that ε must give back σ ≈ 1.3.
        var steps = (long)Math.Ceiling(15 * 60000 / 150.0);
        var sigma = RdpAccountant.NoiseMultiplierFor(0.7242234026109595, 1e-5, 150 / 60000.0, steps, 1e-5, RdpAccountant.TfPrivacyOrders);
        Assert.Equal(1.3, sigma, 3);
        Assert.Throws<InvalidOperationException>(() => RdpAccountant.NoiseMultiplierFor(1e-6, 1e-9, 1.0, 1_000_000));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RdpAccountant([0.5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant().GetEpsilon(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant().Step(0.1, 1, -1));
    }
}
