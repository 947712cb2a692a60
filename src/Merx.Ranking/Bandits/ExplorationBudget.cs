namespace Merx.Ranking.Bandits;

/// <summary>
/// A cap on how many served slots may explore, per user group. Established users (history of at
/// least <see cref="NewUserHistory"/> items) may get at most <see cref="Established"/> of their
/// slots explored; new users, whose tastes are unknown, at most <see cref="NewUsers"/>. Each group is
/// a token bucket: every request of the group earns B·K tokens (K = slate size), capped at
/// max(1, B·K), and every explored slot spends one; a request may explore ⌊tokens⌋ slots. So over
/// any run of consecutive requests of a group serving n slots (any hour, any window), the explored
/// slots are at most B·n + max(1, B·K): the share is ≤ B up to one slate's burst.
/// </summary>
public sealed record ExplorationBudget
{
    /// <summary>Most share of established users' slots explored (B).</summary>
    public double Established { get; init; } = 0.1;
    /// <summary>Most share of new users' slots explored.</summary>
    public double NewUsers { get; init; } = 0.5;
    /// <summary>History length from which a user counts as established.</summary>
    public int NewUserHistory { get; init; } = 5;

    public void Validate()
    {
        if (Established is < 0 or > 1 || double.IsNaN(Established)) throw new ArgumentOutOfRangeException(nameof(Established), "the exploration budget must be in [0, 1]");
        if (NewUsers is < 0 or > 1 || double.IsNaN(NewUsers)) throw new ArgumentOutOfRangeException(nameof(NewUsers), "the new users' exploration budget must be in [0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(NewUserHistory);
    }

    /// <summary>True when the request's user counts as new (history shorter than <see cref="NewUserHistory"/>).</summary>
    public bool IsNew(BanditRequest request) => request.HistoryLength < NewUserHistory;

    /// <summary>The user-group rule every report uses, with the default threshold.</summary>
    public static bool IsNewUser(BanditRequest request) => request.HistoryLength < new ExplorationBudget().NewUserHistory;
}

/// <summary>The two token buckets of an <see cref="ExplorationBudget"/> (not thread-safe: the policy's lock holds it).</summary>
internal sealed class BudgetMeter(ExplorationBudget budget)
{
    private double _established, _new;

    public ExplorationBudget Budget { get; } = budget;

    /// <summary>Earns the request's tokens and returns how many of its <paramref name="k"/> slots may explore.</summary>
    public int Allow(BanditRequest request, int k)
    {
        var isNew = Budget.IsNew(request);
        var b = isNew ? Budget.NewUsers : Budget.Established;
        ref var tokens = ref isNew ? ref _new : ref _established;
        tokens = Math.Min(tokens + b * k, Math.Max(1, b * k));
        return Math.Min(k, (int)Math.Floor(tokens + 1e-9));
    }

    public void Spend(BanditRequest request, int explored)
    {
        ref var tokens = ref Budget.IsNew(request) ? ref _new : ref _established;
        tokens = Math.Max(0, tokens - explored);
    }

    public void Write(BinaryWriter w) { w.Write(_established); w.Write(_new); }

    public void Read(BinaryReader r)
    {
        _established = r.ReadDouble(); _new = r.ReadDouble();
        if (!(_established >= 0 && _new >= 0)) throw new InvalidDataException("bandit state: negative budget tokens");
    }
}
