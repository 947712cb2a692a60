using Merx.Ranking.Scoring;

namespace Merx.Ranking.Pipeline;

/// <summary>A candidate as a source proposed it: a raw score (comparable within the source only) and an optional anchor item for the explanation ("because you viewed …").</summary>
public readonly record struct SourceCandidate(int Item, float Score, int Anchor = -1);

/// <summary>What the pipeline tells each candidate source about the request.</summary>
public sealed class CandidateContext
{
    /// <summary>Built by the pipeline for each request; evaluation harnesses build one to drive a single source.</summary>
    public CandidateContext(RankingRequest request, CatalogIndex catalog, int[] recentItems, int[] sessionItems, Func<int, bool> admissible)
    {
        Request = request; Catalog = catalog; RecentItems = recentItems; SessionItems = sessionItems; Admissible = admissible;
    }

    public RankingRequest Request { get; }
    public CatalogIndex Catalog { get; }
    /// <summary>The user's items, oldest first, deduplicated keeping the latest occurrence.</summary>
    public int[] RecentItems { get; }
    /// <summary>Items of the current session (events within the session gap of the latest one), oldest first.</summary>
    public int[] SessionItems { get; }
    /// <summary>Whether an item passes the request's filters (stock, allowed set, exclusions, seen).</summary>
    public Func<int, bool> Admissible { get; }
    /// <summary>
    /// The large model's vector of this user: set by the model source when it scored through user
    /// vectors, reused by the bandit stage when it reads the same scorer (which encodes the recent
    /// items itself when the source did not run, on the fast path); null when no stage made one.
    /// The pipeline returns it in <see cref="RankingResult.UserVector"/>.
    /// </summary>
    public UserVector? UserVector { get; set; }
}

/// <summary>
/// A candidate source (DESIGN §1): proposes up to <c>limit</c> admissible items with scores.
/// Sources are pure (no I/O) and thread-safe; <see cref="Expensive"/> ones are skipped on the
/// fast path when the latency budget or the load does not allow them.
/// </summary>
public interface ICandidateSource
{
    string Name { get; }
    bool Expensive { get; }
    /// <summary>Whether the source can say anything for this request (e.g. a history-based source needs a history).</summary>
    bool Applies(CandidateContext context);
    IReadOnlyList<SourceCandidate> Propose(CandidateContext context, int limit);
}
