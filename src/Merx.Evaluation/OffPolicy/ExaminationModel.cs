using System.Globalization;

namespace Merx.Evaluation.OffPolicy;

/// <summary>
/// The chance that a shopper looks at each slot of a list (position bias), for the examination-model
/// estimator of off-policy evaluation and the simulator's clicks.
/// </summary>
public static class ExaminationModel
{
    /// <summary>The DCG discount 1/log2(j + 2) for slots j = 0 … <paramref name="slots"/> − 1: the simulator's position bias.</summary>
    public static double[] Dcg(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        return [.. Enumerable.Range(0, slots).Select(j => 1 / Math.Log2(j + 2))];
    }

    /// <summary>"dcg" (the DCG discount for <paramref name="slots"/> slots) or comma-separated probabilities in (0, 1], one per slot, best slot first.</summary>
    public static double[] Parse(string spec, int slots)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (spec.Trim().Equals("dcg", StringComparison.OrdinalIgnoreCase)) return Dcg(slots);
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        var theta = new double[parts.Length];
        for (var j = 0; j < parts.Length; j++)
            if (!double.TryParse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture, out theta[j]) || !(theta[j] > 0 && theta[j] <= 1))
                throw new ArgumentException($"examination '{spec}': slot {j}'s value '{parts[j]}' is not a probability in (0, 1]; give 'dcg' or one value per slot");
        if (theta.Length < slots) throw new ArgumentException($"examination '{spec}' gives {theta.Length} slot(s); the logged lists have up to {slots}");
        return theta;
    }
}
