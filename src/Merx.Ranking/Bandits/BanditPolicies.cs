using Merx.Core.Contracts;

namespace Merx.Ranking.Bandits;

/// <summary>Creates policies by name, as the CLI, the simulator and the server name them.</summary>
public static class BanditPolicies
{
    public static IReadOnlyList<string> Names { get; } = ["greedy", "egreedy", "ucb", "thompson", "thompson-seg", "linucb", "lints", "dynamic", "ranked"];

    /// <summary>
    /// A policy from its name, optionally with one parameter after a colon: "egreedy:0.05" (ε),
    /// "ucb:0.5" (bonus scale), "linucb:2" (α), "lints:0.5" (v), "ranked:0.2" (ε over the exploit
    /// order, <see cref="RankedPolicy"/>), "dynamic:0.1" (the exploration
    /// budget B of <see cref="ExplorationBudget"/>: established users' explored slots ≤ B), and
    /// optionally "@B" to cap any policy's exploration at the same budget ("thompson@0.1",
    /// "lints:0.5@0.1"): the equal-cost comparison with "dynamic:B".
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
        var at = spec.Split('@', 2);
        var parts = at[0].Split(':', 2);
        var name = parts[0].Trim().ToLowerInvariant();
        var p = parts.Length == 2 ? Number(spec, parts[1]) : (double?)null;
        var cap = at.Length == 2 ? Number(spec, at[1]) : (double?)null;
        if (name == "dynamic" && p is not null && cap is not null) throw new ArgumentException($"policy '{spec}': give the dynamic budget once, as dynamic:B");
        // New users (unknown tastes) may explore up to max(B, the default new-user budget).
        var budget = (name == "dynamic" ? p : cap) is { } b ? new ExplorationBudget { Established = b, NewUsers = Math.Max(b, new ExplorationBudget().NewUsers) } : null;
        budget?.Validate();
        return name switch
        {
            "greedy" => new GreedyPolicy(seed) { Budget = budget },
            "egreedy" => new EpsilonGreedyPolicy(p ?? 0.1, seed) { Budget = budget },
            "ucb" => new Ucb1Policy(p ?? 1, seed) { Budget = budget },
            "thompson" => new ThompsonPolicy(false, seed) { Budget = budget },
            "thompson-seg" => new ThompsonPolicy(true, seed) { Budget = budget },
            "linucb" => new LinUcbPolicy(vectors, p ?? 1, seed) { Budget = budget },
            "lints" => new LinearThompsonPolicy(vectors, p ?? 1, seed) { Budget = budget },
            "dynamic" => new DynamicPolicy(vectors, dynamic, seed) { Budget = budget },
            "ranked" => new RankedPolicy(p ?? 0, seed) { Budget = budget },
            _ => throw new ArgumentException($"unknown policy '{name}'; known: {string.Join(", ", Names)}"),
        };
    }

    private static double Number(string spec, string text)
    {
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0)
            throw new ArgumentException($"policy '{spec}': '{text}' is not a non-negative number");
        return v;
    }
}
