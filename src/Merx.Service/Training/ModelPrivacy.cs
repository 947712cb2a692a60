using System.Globalization;
using System.Text.Json;

namespace Merx.Service.Training;

/// <summary>
/// What a published model version says about its training's privacy, read from the metrics it was
/// published with (<see cref="ModelTrainer.Train"/> records "epsilon", "delta", "dp_noise_multiplier"
/// and "dp_accountant_pld" for a model trained with user-level DP-SGD; a model without them was
/// trained without DP). Shown by the dashboard's privacy status (issue #16).
/// </summary>
/// <param name="Private">Trained with DP-SGD: the version records the ε it spent.</param>
/// <param name="Epsilon">ε spent at <paramref name="Delta"/> (null when not private).</param>
/// <param name="Delta">δ of the guarantee.</param>
/// <param name="Accountant">"pld" or "rdp"; null for a version published before the accountant was recorded.</param>
/// <param name="NoiseMultiplier">σ of the run (noise std / clipping norm).</param>
public sealed record ModelPrivacy(bool Private, double? Epsilon, double? Delta, string? Accountant, double? NoiseMultiplier)
{
    public static ModelPrivacy NotPrivate { get; } = new(false, null, null, null, null);

    /// <summary>Reads a version's metrics JSON; an object without "epsilon" is a model trained without DP.</summary>
    public static ModelPrivacy FromMetrics(string metricsJson)
    {
        using var doc = JsonDocument.Parse(metricsJson);
        var m = doc.RootElement;
        double? Number(string key) => m.ValueKind == JsonValueKind.Object && m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        if (Number("epsilon") is not { } epsilon) return NotPrivate;
        var accountant = Number("dp_accountant_pld") switch { 1 => "pld", 0 => "rdp", _ => null };
        return new ModelPrivacy(true, epsilon, Number("delta"), accountant, Number("dp_noise_multiplier"));
    }

    /// <summary>One line for people: "DP-SGD, ε = 4.000, δ = 3.3e-03 (PLD accountant)" or "trained without DP-SGD".</summary>
    public string Describe() => !Private ? "trained without DP-SGD"
        : string.Create(CultureInfo.InvariantCulture, $"DP-SGD, ε = {Epsilon:F3}, δ = {Delta:0.0#e+00} ({(Accountant is { } a ? a.ToUpperInvariant() + " accountant" : "accountant not recorded")})");
}
