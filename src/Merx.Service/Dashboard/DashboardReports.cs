using Merx.Core.Domain;
using Merx.Ranking.Pipeline;
using Merx.Service.Experiments;
using Merx.Service.Privacy;
using Merx.Service.Serving;
using Merx.Service.Training;
using Merx.Storage;

namespace Merx.Service.Dashboard;

/// <summary>The dashboard's per-request reports (a user's events, the status panel), built from the store and the serving snapshot.</summary>
public static class DashboardReports
{
    /// <summary>
    /// The <paramref name="limit"/> latest events of <paramref name="stored"/> (the pseudonym of <paramref name="user"/>), newest
    /// first, each item named and categorized from the served catalog or, for an item it lacks, the store.
    /// </summary>
    public static UserEventsResponse UserEvents(string user, string stored, int limit, IMerxStore store, CatalogIndex? catalog)
    {
        var events = store.RecentEvents(stored, limit).Select(ev =>
        {
            string? title = null, category = null;
            if (ev.Item is not null)
            {
                var i = catalog?.IndexOf(ev.Item) ?? -1;
                var item = i >= 0 ? catalog!.Item(i) : store.GetItem(ev.Item);
                title = item?.Title;
                category = i >= 0 && catalog!.Category(i) >= 0 ? catalog.CategoryName(catalog.Category(i)) : item?.CategoryPath is { Count: > 0 } path ? path[^1] : null;
            }
            return new UserEventDto(ev.Item, ev.Kind.ToWireName(), ev.Timestamp, DateTimeOffset.FromUnixTimeSeconds(ev.Timestamp), ev.Value, title, category, ev.Query, ev.Session);
        }).ToArray();
        return new UserEventsResponse(user, stored, events);
    }

    /// <summary>The status panel: experiments and feedback tagging, and what the server promises about privacy for the models in <paramref name="snapshot"/>.</summary>
    public static DashboardStatus Status(IMerxStore store, ExperimentService experiments, UserIds ids, SegmentRelease release, ServingSnapshot? snapshot, string auth)
    {
        var models = new[] { ("primary", snapshot?.Primary), ("neighbors", snapshot?.Neighbors), ("trending", snapshot?.TrendingModel) }
            .Where(r => r.Item2 is not null).DistinctBy(r => r.Item2!.Version.Version)
            .Select(r => (Role: r.Item1, r.Item2!.Version, Privacy: ModelPrivacy.FromMetrics(r.Item2.Version.MetricsJson))).ToArray();
        var allPrivate = models.Length > 0 && models.All(m => m.Privacy.Private);
        var feedback = store.FeedbackCounts();
        return new DashboardStatus(
            new ExperimentsStatus(
                experiments.Definitions.Count,
                experiments.Running?.Id,
                UntaggedFeedback: feedback.Where(c => c.Key.Variant.Length == 0).Sum(c => c.Value),
                TaggedFeedback: feedback.Where(c => c.Key.Variant.Length > 0).Sum(c => c.Value)),
            new PrivacyStatus(
                Pseudonymization: true,
                PseudonymizationNote: $"user ids are stored as HMAC-SHA256 pseudonyms (key {ids.Key.Fingerprint}); personal data in attributes, queries and sessions is scrubbed at ingestion",
                KeyFingerprint: ids.Key.Fingerprint,
                KeyRotation: ids.Rekeying is { } rekeying
                    ? new KeyRotationStatus(ids.Ring.Count - 1, rekeying.Counters.Renamed, "a lazy key rotation is in progress: returning users are renamed to the current key ('merx rotate-key --status' counts those left)")
                    : null,
                KAnonymity: release.K,
                SegmentsNote: release.Describe(),
                DifferentialPrivacy: allPrivate,
                // The served models learn from the same users: their ε add up (basic composition) when every one is private.
                EpsilonSpent: allPrivate ? models.Sum(m => m.Privacy.Epsilon) : null,
                EpsilonNote: PrivacyNote(models),
                ServedModels: models.Select(m => new ServedModelPrivacy(m.Role, m.Version.Name, m.Version.Version,
                    m.Privacy.Private, m.Privacy.Epsilon, m.Privacy.Delta, m.Privacy.Accountant, m.Privacy.NoiseMultiplier)).ToArray(),
                UserDeletion: true),
            auth);
    }

    /// <summary>What the served models' published metrics say about differential privacy, in one sentence per model.</summary>
    private static string PrivacyNote(IReadOnlyList<(string Role, ModelVersion Version, ModelPrivacy Privacy)> models)
    {
        if (models.Count == 0) return "no model is served yet";
        var each = string.Join("; ", models.Select(m => $"{m.Version.Name} v{m.Version.Version} ({m.Role}): {m.Privacy.Describe()}"));
        return models.All(m => m.Privacy.Private) ? each + ". Every served model was trained with user-level DP-SGD; their ε add up."
            : models.Any(m => m.Privacy.Private) ? each + ". Only part of what is served is private: the models trained without DP-SGD carry no guarantee."
            : each + ". No privacy budget is spent or tracked.";
    }
}
