namespace Merx.Core.Synthetic;

/// <summary>The size and shape of a generated shop. Every field has a default; the same options give the same shop.</summary>
public sealed record ShopGeneratorOptions
{
    public int Users { get; init; } = 10_000;
    public int Items { get; init; } = 5_000;
    public long Events { get; init; } = 300_000;
    public int Seed { get; init; } = 42;
    /// <summary>Top-level categories; each has <see cref="Branching"/> sub-categories, each with <see cref="Branching"/> leaves.</summary>
    public int RootCategories { get; init; } = 8;
    public int Branching { get; init; } = 4;
    /// <summary>Brands; 0 = one per 40 items (at least 8).</summary>
    public int Brands { get; init; }
    /// <summary>Shops (sellers); 0 = one per 200 items (at least 4).</summary>
    public int Shops { get; init; }
    /// <summary>Inactivity gap that separates two sessions of a user.</summary>
    public int SessionGapSeconds { get; init; } = 1800;
    /// <summary>Start of the simulated period (unix seconds) and its length.</summary>
    public long StartTime { get; init; } = 1_700_000_000;
    public int Days { get; init; } = 60;
    /// <summary>Probability that a session replaces one of the user's interests with a new leaf category.</summary>
    public double InterestDrift { get; init; } = 0.08;
    /// <summary>Zipf exponent of item popularity within a category (larger = more head-heavy).</summary>
    public double ZipfExponent { get; init; } = 1.0;

    public void Validate()
    {
        if (Users <= 0) throw new ArgumentOutOfRangeException(nameof(Users), Users, "need at least one user");
        if (Items <= 0) throw new ArgumentOutOfRangeException(nameof(Items), Items, "need at least one item");
        if (Events < 0) throw new ArgumentOutOfRangeException(nameof(Events), Events, "events cannot be negative");
        if (RootCategories <= 0 || Branching <= 0) throw new ArgumentOutOfRangeException(nameof(Branching), "the category tree needs at least one root and branching ≥ 1");
        if (Days <= 0 || SessionGapSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(Days), "days and session gap must be positive");
        if (InterestDrift is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(InterestDrift), InterestDrift, "a probability in 0..1");
    }
}
