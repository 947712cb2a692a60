using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// The serving log and feedback role: every recommendation list served (to whom, by which model,
/// path and experiment variant, which slots explored) and the feedback that names it, and the
/// aggregates built from the pair: A/B counts, the dashboard's exploration timeline and an
/// experiment's tallies after a restart. The served log, the feedback endpoint, experiments and
/// the dashboard need this role.
/// </summary>
public interface IServingLog
{
    /// <summary>Logs served recommendations in one transaction (ids must be new).</summary>
    void RecordServed(IReadOnlyList<ServedRecommendation> served);

    /// <summary>The served recommendation with this id, or null.</summary>
    ServedRecommendation? GetServed(string id);

    /// <summary>Appends feedback on served recommendations in one transaction.</summary>
    void RecordFeedback(IReadOnlyList<FeedbackRecord> feedback);

    /// <summary>Feedback counts per (variant, kind) over all served recommendations; variant "" when none.</summary>
    IReadOnlyDictionary<(string Variant, EventKind Kind), long> FeedbackCounts();

    /// <summary>
    /// Served lists, slots, explored slots and clicks on explored and on exploited slots, per
    /// bucket of <paramref name="bucket"/> length (aligned to the Unix epoch) of the time the lists
    /// were served, for lists served at or after <paramref name="since"/>; empty buckets are left out.
    /// </summary>
    IReadOnlyList<ExplorationBucket> ExplorationTimeline(DateTimeOffset since, TimeSpan bucket);

    /// <summary>
    /// The exposures (served lists, <see cref="ExperimentLogEntry.Kind"/> null) and feedback of every
    /// served list whose variant starts with <paramref name="variantPrefix"/>, oldest first: what an
    /// experiment's tallies are rebuilt from after a restart.
    /// </summary>
    IReadOnlyList<ExperimentLogEntry> ExperimentLog(string variantPrefix);

    /// <summary>
    /// Every list served at or after <paramref name="since"/>, in the order served, with the items
    /// clicked on it: what off-policy evaluation (<c>merx ope</c>) and the dashboard's explored-versus-
    /// exploited click-through by user group are computed from.
    /// </summary>
    IReadOnlyList<ServedOutcome> ServedOutcomes(DateTimeOffset since);
}
