using Merx.Core.Domain;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Pipeline;

/// <summary>Which page asks: the home feed, an item page, the cart, or a search results page.</summary>
public enum PageContext { Home, Item, Cart, Search }

/// <summary>One event of the user's history in catalog index space.</summary>
/// <param name="Timestamp">Unix seconds.</param>
public readonly record struct HistoryEvent(int Item, EventKind Kind, long Timestamp);

/// <summary>
/// Everything one recommendation request knows: who (a key for bandit state and seeding), what
/// they did (oldest first, catalog indices), where they are, what must be left out, and how much
/// time the answer may take.
/// </summary>
public sealed record RankingRequest
{
    /// <summary>Stable key of the user (their pseudonym) or of an anonymous session.</summary>
    public required string UserKey { get; init; }
    /// <summary>The user's events, oldest first (items in catalog index space).</summary>
    public IReadOnlyList<HistoryEvent> History { get; init; } = [];
    /// <summary>
    /// Where the current session is looked for (oldest first); null = <see cref="History"/>. A request for one
    /// platform (issue 22: the app asks while the history spans web and app) passes that platform's events, so
    /// the session share and the session-weighted neighbours come from what the customer does there now.
    /// </summary>
    public IReadOnlyList<HistoryEvent>? SessionHistory { get; init; }
    public int N { get; init; } = 10;
    public PageContext Page { get; init; } = PageContext.Home;
    /// <summary>The item of an item page.</summary>
    public int? ContextItem { get; init; }
    /// <summary>Items in the cart (cart page, or sent by the shop on any page).</summary>
    public IReadOnlyList<int> CartItems { get; init; } = [];
    /// <summary>When set, only these items may be returned (a category filter).</summary>
    public IReadOnlySet<int>? Allowed { get; init; }
    public IReadOnlyCollection<int> Exclude { get; init; } = [];
    /// <summary>Leave out every item in the history (default), else only purchased ones.</summary>
    public bool ExcludeSeen { get; init; } = true;
    /// <summary>How long the answer may take; null = no deadline.</summary>
    public TimeSpan? LatencyBudget { get; init; }
    /// <summary>Set by the server when too many requests are in flight: take the cheap path.</summary>
    public bool Overloaded { get; init; }
    /// <summary>"Now" in unix seconds (session detection, new-item age).</summary>
    public long Now { get; init; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    /// <summary>Seed of this request's random choices (exploration).</summary>
    public ulong Seed { get; init; }
    /// <summary>Per-request changes to the pipeline's configuration (an A/B variant's settings).</summary>
    public RankingOverrides? Overrides { get; init; }
}

/// <summary>What an experiment variant may change for its users: exploration on or off, and the diversity trade-off.</summary>
/// <param name="Explore">False turns the exploration stage off; null keeps the pipeline's setting.</param>
/// <param name="DiversityLambda">MMR λ in [0, 1] (1 = relevance only); null keeps the pipeline's setting.</param>
public sealed record RankingOverrides(bool? Explore = null, float? DiversityLambda = null);

/// <summary>One recommended item with its fused score, where it came from and why.</summary>
/// <param name="Source">The candidate source that contributed most ("transformer", "itemknn", "trending", "new", "explore").</param>
/// <param name="Explored">True when the exploration stage placed it (not the user's best-known interest).</param>
public sealed record RankedItem(int Item, float Score, string Source, string Reason, bool Explored);

/// <summary>
/// The answer: items best first, the path taken ("full", "fast", "cold-start", "fallback"), the
/// stages that ran with their milliseconds, and the session share that set the fusion weights.
/// </summary>
public sealed record RankingResult(IReadOnlyList<RankedItem> Items, string Path, IReadOnlyList<StageTiming> Stages, double SessionShare, double ExplorationRate)
{
    /// <summary>The bandit stage's decision (null for the simple policy or when exploration was off).</summary>
    public ExplorationTrace? Trace { get; init; }
    /// <summary>The user's vector from the large model when a stage made one (the model source, or the bandit stage); null otherwise.</summary>
    public UserVector? UserVector { get; init; }
}

public readonly record struct StageTiming(string Stage, double Milliseconds, bool Skipped, string? Why = null);
