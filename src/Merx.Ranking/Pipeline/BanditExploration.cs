using Merx.Core.Contracts;
using Merx.Ranking.Bandits;

namespace Merx.Ranking.Pipeline;

/// <summary>
/// The large model seen in catalog index space, swappable when a new model version is served: the
/// bandit policies keep their per-item state by catalog index (stable across model versions) and
/// read user and item vectors through this adapter. Items the model does not know have zero vectors.
/// </summary>
public sealed class CatalogEncoder : IUserEncoder
{
    private volatile State? _state;

    private sealed record State(IUserEncoder Encoder, IndexMapping Mapping, float[] Vectors);

    public CatalogEncoder(int dimension) => Dimension = dimension;

    public int Dimension { get; }
    public bool HasModel => _state is not null;

    /// <summary>Points the adapter at a (new) model; its dimension must match.</summary>
    public void Swap(IUserEncoder encoder, IndexMapping mapping)
    {
        if (encoder.Dimension != Dimension) throw new ArgumentException($"the model's dimension {encoder.Dimension} differs from the policy's {Dimension}", nameof(encoder));
        var d = Dimension;
        var vectors = new float[mapping.CatalogToModel.Length * d];
        var source = encoder.ItemVectors;
        for (var c = 0; c < mapping.CatalogToModel.Length; c++)
            if (mapping.CatalogToModel[c] is var j and >= 0) source.Slice(j * d, d).CopyTo(vectors.AsSpan(c * d, d));
        _state = new State(encoder, mapping, vectors);
    }

    /// <param name="history">Catalog indices, oldest first.</param>
    public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector)
    {
        if (_state is not { } s) { vector[..Dimension].Clear(); return; }
        s.Encoder.EncodeUser(-1, s.Mapping.ToModel(history), vector);
    }

    public ReadOnlySpan<float> ItemVectors => _state?.Vectors ?? [];

    /// <summary>Whether this adapter currently reads <paramref name="model"/> (so a user vector it made can be reused).</summary>
    public bool Wraps(object model) => ReferenceEquals(_state?.Encoder, model);
}

/// <summary>What a bandit stage decided for one request: kept by the server so feedback can teach the policy.</summary>
public sealed record ExplorationTrace(BanditRequest Request, IReadOnlyList<SlatePick> Picks, int CandidateCount);

/// <summary>
/// Explore/exploit by a bandit policy (<see cref="IBanditPolicy"/>: Thompson sampling, LinUCB,
/// the Dynamic policy …) over the fused candidate pool: the policy picks the slate and says which
/// slots explore; explored items are labelled "something new for you". The user's vector comes from
/// the large model, their recent impressions and clicks from <see cref="RecentFeedback"/>.
/// </summary>
public sealed class BanditExploration(IBanditPolicy policy, CatalogEncoder? encoder, Func<string, (double Impressions, double Clicks)>? recentFeedback = null, int poolSize = 200) : IExplorationStage
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
        if (encoder is { HasModel: true })
        {
            if (input.Context.UserVector is { } known && encoder.Wraps(known.Model)) vector = known.Vector;
            else
            {
                vector = new float[encoder.Dimension];
                encoder.EncodeUser(-1, input.Context.RecentItems, vector);
            }
        }
        var (impressions, clicks) = recentFeedback?.Invoke(input.Request.UserKey) ?? (0, 0);
        var request = new BanditRequest
        {
            UserKey = input.Request.UserKey, UserVector = vector, HistoryLength = input.Context.RecentItems.Length,
            RecentImpressions = impressions, RecentClicks = clicks, KnownCategories = input.KnownCategories,
        };
        var candidates = pool.Select(p => new BanditCandidate(p.Item, p.Score, catalog.Category(p.Item))).ToArray();
        var decision = policy.Select(request, candidates, n);
        var byItem = pool.ToDictionary(p => p.Item);
        input.Slate.Clear();
        foreach (var pick in decision.Picks)
        {
            var original = byItem[pick.Item];
            var category = catalog.Category(pick.Item);
            input.Slate.Add(pick.Explored
                ? original with { Source = "explore", Explored = true, Reason = $"something new for you{(category >= 0 ? ": " + catalog.CategoryName(category) : "")}" }
                : original);
        }
        input.Trace = new ExplorationTrace(request, decision.Picks, candidates.Length);
        return (double)decision.ExploredCount / n;
    }
}
