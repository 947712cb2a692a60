using Merx.Core.Data;

namespace Merx.Evaluation.Attacks;

/// <summary>The four classic fake-profile (shilling) attacks, in their implicit-feedback form (which items a profile holds).</summary>
public enum AttackKind
{
    /// <summary>Targets plus filler drawn uniformly from the catalog.</summary>
    Random,
    /// <summary>Targets plus filler drawn in proportion to item popularity: the profile looks like an average draw from the shop.</summary>
    Average,
    /// <summary>Targets plus the shop's most popular items (the same in every profile) plus uniform filler.</summary>
    Bandwagon,
    /// <summary>Targets plus the items the targets' own buyers like most (the same in every profile) plus uniform filler.</summary>
    Segment,
}

/// <summary>
/// One attack. <see cref="Size"/>: fake users as a share of the genuine users (0.03 = 3 fakes per 100);
/// <see cref="Filler"/>: filler items per fake profile as a share of the catalog (the literature's "filler size").
/// </summary>
public sealed record AttackOptions
{
    public AttackKind Kind { get; init; } = AttackKind.Random;
    public double Size { get; init; } = 0.03;
    public double Filler { get; init; } = 0.01;
    /// <summary>Items the attack pushes; every fake profile holds all of them.</summary>
    public int Targets { get; init; } = 5;
    /// <summary>Selected items (bandwagon: the most popular; segment: the targets' buyers' favourites) per profile.</summary>
    public int Selected { get; init; } = 5;
    /// <summary>Targets are drawn from the items whose user count is at most this quantile of the items' user counts.</summary>
    public double TargetPopularityQuantile { get; init; } = 0.25;
    /// <summary>With real clocks: fake accounts start and finish inside this window before the data's last event.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromDays(30);
    public int Seed { get; init; } = 42;
    /// <summary>
    /// A stronger attacker: each fake copies a random genuine user's profile length (filler = that length − targets −
    /// selected, at least 0; <see cref="Filler"/> is not used) and, with real clocks, that user's first-event time and
    /// pacing (aged or bought accounts instead of new ones).
    /// </summary>
    public bool Camouflage { get; init; }

    public static AttackKind ParseKind(string name) => name.ToLowerInvariant() switch
    {
        "random" => AttackKind.Random,
        "average" => AttackKind.Average,
        "bandwagon" => AttackKind.Bandwagon,
        "segment" => AttackKind.Segment,
        _ => throw new ArgumentException($"unknown attack '{name}' (expected random, average, bandwagon or segment)"),
    };

    public void Check()
    {
        if (Size is <= 0 or > 1) throw new ArgumentException($"attack size {Size} must be in (0, 1]: fake users per genuine user");
        if (Filler is < 0 or >= 1) throw new ArgumentException($"filler {Filler} must be in [0, 1): filler items as a share of the catalog");
        if (Targets < 1) throw new ArgumentException("an attack needs at least one target item");
        if (Selected < 0) throw new ArgumentException("selected items cannot be negative");
        if (TargetPopularityQuantile is <= 0 or > 1) throw new ArgumentException("the target popularity quantile must be in (0, 1]");
        if (Window <= TimeSpan.Zero) throw new ArgumentException("the attack window must be positive");
    }
}

/// <summary>
/// The genuine data with fake users appended: users 0..<see cref="FirstFake"/>−1 are the genuine ones (same
/// indices as in the clean data; <see cref="GenuineUsers"/> of them have events), the rest are fakes.
/// <see cref="Selected"/> is empty for random and average. <see cref="FillerPerProfile"/> is −1 for a camouflaged attack,
/// whose fakes each copy a genuine profile's length (so "filler_items_per_profile": -1 in the report).
/// </summary>
public sealed record AttackedData(UserSequences Data, int FirstFake, int GenuineUsers, int[] Targets, int[] Selected, int FillerPerProfile, bool RealClock)
{
    public int FakeUsers => Data.UserCount - FirstFake;
    public bool IsFake(int user) => user >= FirstFake;
}
