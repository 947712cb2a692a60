using Merx.Core.Contracts;

namespace Merx.Ranking.Bandits;

/// <summary>Creates policies by name, as the CLI, the simulator and the server name them.</summary>
public static class BanditPolicies
{
    public static IReadOnlyList<string> Names { get; } = ["greedy", "egreedy", "ucb", "thompson", "thompson-seg", "linucb", "lints", "dynamic"];

    /// <summary>
    /// A policy from its name, optionally with one parameter after a colon: "egreedy:0.05" (ε),
    /// "ucb:0.5" (bonus scale), "linucb:2" (α), "lints:0.5" (v), "dynamic:0.3" (budget).
    /// <paramref name="encoder"/> supplies the item vectors (by its own item index) to linucb, lints and dynamic (may be null).
    /// </summary>
    public static IBanditPolicy Create(string spec, IUserEncoder? encoder = null, int seed = 42, DynamicOptions? dynamic = null) =>
        CreateOver(spec, EncoderRows.Of(encoder), seed, dynamic);

    /// <summary>
    /// As <see cref="Create"/>, with the item vectors read row by row from <paramref name="vectors"/>
    /// (the server: a <see cref="ItemVectorSlot"/> pointed at the served snapshot's scorer).
    /// </summary>
    public static IBanditPolicy CreateOver(string spec, IItemVectors? vectors, int seed = 42, DynamicOptions? dynamic = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var parts = spec.Split(':', 2);
        var name = parts[0].Trim().ToLowerInvariant();
        double? p = null;
        if (parts.Length == 2)
        {
            if (!double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0)
                throw new ArgumentException($"policy '{spec}': '{parts[1]}' is not a non-negative number");
            p = v;
        }
        return name switch
        {
            "greedy" => new GreedyPolicy(seed),
            "egreedy" => new EpsilonGreedyPolicy(p ?? 0.1, seed),
            "ucb" => new Ucb1Policy(p ?? 1, seed),
            "thompson" => new ThompsonPolicy(false, seed),
            "thompson-seg" => new ThompsonPolicy(true, seed),
            "linucb" => new LinUcbPolicy(vectors, p ?? 1, seed),
            "lints" => new LinearThompsonPolicy(vectors, p ?? 1, seed),
            "dynamic" => new DynamicPolicy(vectors, p is { } b ? (dynamic ?? new DynamicOptions()) with { Budget = b } : dynamic, seed),
            _ => throw new ArgumentException($"unknown policy '{name}'; known: {string.Join(", ", Names)}"),
        };
    }
}
