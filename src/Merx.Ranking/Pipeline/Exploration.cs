namespace Merx.Ranking.Pipeline;

/// <summary>What the exploration stage sees: the exploit-ranked slate, the user's known categories, and a popularity list to draw new interests from.</summary>
public sealed class ExplorationInput
{
    public required RankingRequest Request { get; init; }
    public required CatalogIndex Catalog { get; init; }
    public required CandidateContext Context { get; init; }
    /// <summary>Leaf categories the user has interacted with.</summary>
    public required IReadOnlySet<int> KnownCategories { get; init; }
    public required TrendingSource Trending { get; init; }
    /// <summary>The exploit slate, best first (length ≤ N).</summary>
    public required List<RankedItem> Slate { get; init; }
    /// <summary>Every fused candidate, best first (the slate was taken from these).</summary>
    public IReadOnlyList<RankedItem> Pool { get; init; } = [];
    /// <summary>Set by a learning stage: what it decided, for feedback.</summary>
    public ExplorationTrace? Trace { get; set; }
}

/// <summary>
/// The explore/exploit stage of the pipeline: decides how many slots of this request explore and
/// fills them, marking each explored item. The bandit policies (Merx.Ranking.Bandits) plug in here.
/// </summary>
public interface IExplorationStage
{
    string Name { get; }
    /// <summary>Rewrites <see cref="ExplorationInput.Slate"/> in place; returns the exploration rate used (explored slots / N).</summary>
    double Apply(ExplorationInput input, Random random);
}

/// <summary>
/// The simple default policy: a share of the slots (more for users with short histories, where
/// little is known) goes to the most popular items of categories the user has never touched,
/// one per category, spread over the list (interest discovery).
/// </summary>
public sealed class DiscoveryExploration(double baseRate = 0.1, double coldRate = 0.3, int shortHistory = 5) : IExplorationStage
{
    public string Name => "discovery";

    public double Rate(int historyLength) =>
        historyLength >= shortHistory ? baseRate : coldRate - (coldRate - baseRate) * historyLength / shortHistory;

    public double Apply(ExplorationInput input, Random random)
    {
        var n = input.Request.N;
        var slate = input.Slate;
        if (n == 0) return 0;
        var rate = Rate(input.Context.RecentItems.Length);
        var expected = rate * n;
        var slots = (int)Math.Floor(expected) + (random.NextDouble() < expected - Math.Floor(expected) ? 1 : 0);
        if (slots == 0) return 0;
        var used = new HashSet<int>(slate.Select(s => s.Item));
        var usedCategories = new HashSet<int>(input.KnownCategories);
        foreach (var s in slate) usedCategories.Add(input.Catalog.Category(s.Item));
        var picks = new List<RankedItem>();
        foreach (var c in input.Trending.Top(i => !used.Contains(i) && input.Context.Admissible(i) && !usedCategories.Contains(input.Catalog.Category(i)), 50 * slots))
        {
            var category = input.Catalog.Category(c.Item);
            if (!usedCategories.Add(category)) continue;
            var label = category >= 0 ? input.Catalog.CategoryName(category) : "the shop";
            picks.Add(new RankedItem(c.Item, 0f, "explore", $"something new for you: popular in {label}", true));
            if (picks.Count == slots) break;
        }
        if (picks.Count == 0) return 0;
        // Spread the explored items over the list (positions 3, 6, 9 … for N = 10), never first.
        var stride = Math.Max(2, n / (picks.Count + 1));
        for (var k = 0; k < picks.Count; k++)
        {
            var at = Math.Min(slate.Count, stride * (k + 1));
            if (slate.Count >= n) slate.RemoveAt(slate.Count - 1);
            var score = at < slate.Count ? slate[at].Score : slate.Count > 0 ? slate[^1].Score : 0f;
            slate.Insert(Math.Min(at, slate.Count), picks[k] with { Score = score });
        }
        return (double)picks.Count / n;
    }
}
