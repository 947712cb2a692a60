using Merx.Ranking.Bandits;
using Merx.Ranking.Scoring;

namespace Merx.Ranking.Pipeline;

/// <summary>What a bandit stage decided for one request: kept by the server so feedback can teach the policy.</summary>
public sealed record ExplorationTrace(BanditRequest Request, IReadOnlyList<SlatePick> Picks, int CandidateCount)
{
    /// <summary>The redraws that will estimate the picks' propensities off the request path (<see cref="BanditPolicy.DeferPropensities"/>), or null.</summary>
    public PropensityRedraws? Pending { get; init; }
}

/// <summary>
/// Explore/exploit by a bandit policy (<see cref="IBanditPolicy"/>: Thompson sampling, LinUCB,
/// the Dynamic policy …) over the fused candidate pool: the policy picks the slate and says which
/// slots explore; explored items are labelled "something new for you". The user's vector comes from
/// the snapshot's <see cref="CatalogScorer"/> (the model source's, when it made one, else encoded
/// here from the recent items), their recent impressions and clicks from <c>recentFeedback</c>.
/// </summary>
/// <param name="scorer">The large model of the snapshot this stage serves; null or without vectors: no user vector.</param>
/// <param name="propensitySample">The share of requests whose slate the policy freezes for propensity redraws (when it makes them at all); the others skip them.</param>
public sealed class BanditExploration(IBanditPolicy policy, CatalogScorer? scorer, Func<string, (double Impressions, double Clicks)>? recentFeedback = null, int poolSize = 200, double propensitySample = 1) : IExplorationStage
{
    public string Name => policy.Name;
    public IBanditPolicy Policy => policy;

    public double Apply(ExplorationInput input, Random random)
    {
        var n = input.Request.N;
        var pool = input.Pool.Take(Math.Max(poolSize, n)).ToArray();
        if (n == 0 || pool.Length == 0) return 0;
        var catalog = input.Catalog;
        var vector = Array.Empty<float>();
        if (scorer is { Encoder: not null })
        {
            if (input.Context.UserVector is not { } known || !known.From(scorer))
                input.Context.UserVector = known = scorer.Encode(input.Context.RecentItems);
            vector = known.Values;
        }
        var (impressions, clicks) = recentFeedback?.Invoke(input.Request.UserKey) ?? (0, 0);
        var request = new BanditRequest
        {
            UserKey = input.Request.UserKey, UserVector = vector, HistoryLength = input.Context.RecentItems.Length,
            RecentImpressions = impressions, RecentClicks = clicks, KnownCategories = input.KnownCategories,
            SkipRedraws = propensitySample < 1 && random.NextDouble() >= propensitySample,
        };
        var candidates = pool.Select(p => new BanditCandidate(p.Item, p.Score, catalog.Category(p.Item))).ToArray();
        var decision = policy.Select(request, candidates, n);
        input.Slate.Clear();
        foreach (var pick in decision.Picks)
        {
            // A slate's few picks are looked up in the pool directly: a dictionary of the whole pool was 4 % of a request's allocations.
            var original = InPool(pool, pick.Item);
            var category = catalog.Category(pick.Item);
            input.Slate.Add(pick.Explored
                ? original with { Source = "explore", Explored = true, Reason = $"something new for you{(category >= 0 ? ": " + catalog.CategoryName(category) : "")}" }
                : original);
        }
        input.Trace = new ExplorationTrace(request, decision.Picks, candidates.Length) { Pending = decision.Pending };
        return (double)decision.ExploredCount / n;
    }

    private static RankedItem InPool(RankedItem[] pool, int item)
    {
        foreach (var p in pool)
            if (p.Item == item) return p;
        throw new InvalidOperationException($"the policy picked item {item}, which is not in its pool");
    }
}
