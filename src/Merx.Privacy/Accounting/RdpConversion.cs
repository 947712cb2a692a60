namespace Merx.Privacy.Accounting;

/// <summary>How an RDP curve is turned into an (ε, δ) guarantee.</summary>
public enum RdpConversion
{
    /// <summary>
    /// Mironov 2017 ("Rényi Differential Privacy", arXiv:1702.07476, Proposition 3):
    /// ε = min_α [ε_RDP(α) + log(1/δ)/(α−1)]. What TF-Privacy used until December 2020.
    /// </summary>
    Classic,

    /// <summary>
    /// Canonne, Kamath &amp; Steinke 2020 ("The Discrete Gaussian for Differential Privacy",
    /// arXiv:2004.00010, Proposition 12), equivalently Balle et al. 2020 ("Hypothesis Testing
    /// Interpretations and Rényi Differential Privacy", arXiv:1905.09982, Theorem 21):
    /// ε = min_α [ε_RDP(α) + log(1 − 1/α) − log(δ·α)/(α−1)], orders α ≤ 1.01 skipped, and ε = 0 when
    /// δ² ≥ 1 − e^(−ε_RDP) (the KL bound). The rule TF-Privacy/dp_accounting and Opacus use today;
    /// always ≤ Classic. The default.
    /// </summary>
    Improved,
}

/// <summary>Conversion of a composed RDP curve to (ε, δ)-DP.</summary>
public static class RdpToDp
{
    /// <summary>
    /// The smallest ε over the given orders for which the mechanism with RDP curve
    /// <paramref name="rdp"/> (same length as <paramref name="orders"/>) is (ε, δ)-DP, and the order
    /// that attains it. δ ∈ (0, 1).
    /// </summary>
    public static (double Epsilon, double Order) Epsilon(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta, RdpConversion conversion = RdpConversion.Improved)
    {
        if (orders.Count != rdp.Count) throw new ArgumentException($"orders ({orders.Count}) and rdp ({rdp.Count}) differ in length");
        if (orders.Count == 0) throw new ArgumentException("at least one RDP order is needed", nameof(orders));
        if (!(delta > 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be in (0, 1)");
        var best = double.PositiveInfinity;
        var bestOrder = orders[0];
        for (var k = 0; k < orders.Count; k++)
        {
            var a = orders[k];
            var r = rdp[k];
            if (!(a > 1)) throw new ArgumentException($"RDP order {a} must be > 1");
            if (r < 0 || double.IsNaN(r)) throw new ArgumentException($"RDP value {r} at order {a} must be ≥ 0");
            double eps;
            if (conversion == RdpConversion.Classic)
                eps = r - Math.Log(delta) / (a - 1);
            else if (delta * delta + LogMath.Expm1(-r) >= 0)
                eps = 0;
            else if (a > 1.01)
                eps = r + LogMath.Log1P(-1 / a) - Math.Log(delta * a) / (a - 1);
            else
                eps = double.PositiveInfinity;
            if (eps < best) { best = eps; bestOrder = a; }
        }
        return (Math.Max(0, best), bestOrder);
    }

    /// <summary>
    /// The smallest δ over the orders for which the RDP curve gives (ε, δ)-DP (the inverse use:
    /// "what δ does ε = 8 cost?"), capped at 1. Classic: δ = e^((α−1)(ε_RDP − ε)); Improved:
    /// log δ = (α−1)(ε_RDP − ε + log(1−1/α)) − log α, also bounded by √(1 − e^(−ε_RDP)).
    /// </summary>
    public static (double Delta, double Order) Delta(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double epsilon, RdpConversion conversion = RdpConversion.Improved)
    {
        if (orders.Count != rdp.Count) throw new ArgumentException($"orders ({orders.Count}) and rdp ({rdp.Count}) differ in length");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be ≥ 0");
        var best = double.PositiveInfinity;
        var bestOrder = orders.Count > 0 ? orders[0] : double.NaN;
        for (var k = 0; k < orders.Count; k++)
        {
            var a = orders[k];
            var r = rdp[k];
            double logDelta;
            if (conversion == RdpConversion.Classic) logDelta = (a - 1) * (r - epsilon);
            else
            {
                logDelta = 0.5 * LogMath.Log1P(-Math.Exp(-r));
                if (a > 1.01) logDelta = Math.Min(logDelta, (a - 1) * (r - epsilon + LogMath.Log1P(-1 / a)) - Math.Log(a));
            }
            if (logDelta < best) { best = logDelta; bestOrder = a; }
        }
        return (Math.Min(1, Math.Exp(best)), bestOrder);
    }
}
