using System.Security.Cryptography;
using Merx.Core.Domain;
using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Service.Evaluation;
using Merx.Service.Experiments;
using Merx.Storage;
using Microsoft.Extensions.Options;

namespace Merx.Service.Serving;

/// <summary>What a recommendation request asks for, as parsed from the query string.</summary>
/// <param name="Platform">The platform asking (issue 22, <c>?platform=app</c>): the history stays the union of every platform and linked id, the session is looked for in this platform's events only (see README, "One customer across platforms").</param>
public sealed record RecommendationQuery(int N, PageContext Page, string? ContextItem, IReadOnlyList<string> Cart, string? Category, IReadOnlyList<string> Exclude, double? BudgetMs, bool Debug, bool ExcludeSeen = true, bool Explore = true, string? Platform = null);

/// <summary>
/// The serving logic behind the endpoints: reads a user's latest events (memory first: <see cref="HistoryCache"/>; an
/// event accepted a moment ago is in the very next answer), runs the ranking pipeline on the
/// current snapshot, logs what was served for feedback attribution, and turns catalog indices
/// back into the shop's ids with explanations.
/// </summary>
public sealed class RecommendationService(IEventStore store, HistoryCache histories, Users.UserLinks links, ModelHost host, ServedLog served, ExperimentService experiments, PolicyHost policies, ServingLoad load, Telemetry.MerxMetrics metrics, IOptions<MerxServerOptions> options, Merx.Service.Catalog.ItemTextVectors? text = null)
{
    public const int HistoryLimit = 200;

    public ServingSnapshot Snapshot => host.Current ?? host.Refresh();

    /// <summary>
    /// The user's events, oldest first, in catalog index space (events on items the snapshot does not know yet are left out),
    /// across every id linked to the user; with <paramref name="platform"/>, also that platform's part of them.
    /// </summary>
    public IReadOnlyList<HistoryEvent> History(ServingSnapshot snapshot, string user) => Histories(snapshot, user, null).All;

    private (List<HistoryEvent> All, List<HistoryEvent>? OnPlatform) Histories(ServingSnapshot snapshot, string user, string? platform)
    {
        var recent = Recent(user, HistoryLimit);
        var history = new List<HistoryEvent>(recent.Count);
        var onPlatform = platform is null ? null : new List<HistoryEvent>();
        for (var i = recent.Count - 1; i >= 0; i--)
        {
            var e = recent[i];
            if (e.Item is null || e.Kind == EventKind.Impression) continue;
            var c = snapshot.Catalog.IndexOf(e.Item);
            if (c < 0) continue;
            history.Add(new HistoryEvent(c, e.Kind, e.Timestamp));
            if (e.Platform == platform) onPlatform?.Add(new HistoryEvent(c, e.Kind, e.Timestamp));
        }
        return (history, onPlatform);
    }

    /// <summary>
    /// The latest events of the user and of every id linked to it (issue 22), newest first by timestamp (an event
    /// stream per id, merged; ties keep the ids' ordinal order), at most <paramref name="limit"/>.
    /// </summary>
    public IReadOnlyList<RecentEvent> Recent(string user, int limit) => Merge(links.Group(user), histories.Recent, limit);

    private static IReadOnlyList<RecentEvent> Merge(IReadOnlyList<string> group, Func<string, IReadOnlyList<RecentEvent>> read, int limit)
    {
        if (group.Count == 1) return read(group[0]) is var own && own.Count <= limit ? own : own.Take(limit).ToArray();
        return group.SelectMany(read).OrderByDescending(e => e.Timestamp).Take(limit).ToArray();
    }

    public RecommendationResponse Recommend(string user, RecommendationQuery q, IReadOnlyList<HistoryEvent>? historyOverride = null)
    {
        var snapshot = Snapshot;
        var cat = snapshot.Catalog;
        IReadOnlyList<HistoryEvent> history = historyOverride ?? [];
        IReadOnlyList<HistoryEvent>? onPlatform = null;
        if (historyOverride is null) (history, onPlatform) = Histories(snapshot, user, q.Platform);
        var assignment = experiments.Assign(user);
        var request = new RankingRequest
        {
            UserKey = user,
            History = history,
            SessionHistory = onPlatform,
            N = q.N,
            Page = q.Page,
            ContextItem = q.ContextItem is null ? null : cat.IndexOf(q.ContextItem) is var ci and >= 0 ? ci : null,
            CartItems = q.Cart.Select(cat.IndexOf).Where(i => i >= 0).ToArray(),
            Allowed = q.Category is null ? null : new HashSet<int>(cat.ItemsInCategory(q.Category) ?? []),
            Exclude = q.Exclude.Select(cat.IndexOf).Where(i => i >= 0).ToArray(),
            ExcludeSeen = q.ExcludeSeen,
            LatencyBudget = (q.BudgetMs ?? options.Value.DefaultBudgetMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            Overloaded = load.InFlight > options.Value.OverloadInFlight,
            Overrides = q.Explore ? assignment?.Overrides : (assignment?.Overrides ?? new RankingOverrides()) with { Explore = false },
            Seed = (ulong)RandomNumberGenerator.GetInt32(int.MaxValue) << 20 ^ (ulong)Environment.TickCount64,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        RankingResult result;
        using (var span = Merx.Core.Diagnostics.MerxDiagnostics.Source.StartActivity("pipeline"))
        {
            result = snapshot.Pipeline.Run(request);
            span?.SetTag("merx.path", result.Path);
        }
        metrics.Served(result);
        if (result.Path is "fast" or "fallback") load.AddDegraded();
        var id = NewId("r");
        policies.Remember(id, result.Trace, cat);
        var items = result.Items.Select(r => ToWire(cat, r.Item, r.Score, r.Reason, r.Source, r.Explored)).ToArray();
        var redrawn = RedrawnLogging(result);
        served.Add(new ServedRecommendation(id, user, DateTimeOffset.UtcNow, snapshot.Primary?.Version.Name, result.Path, assignment?.Tag,
            items.Select(i => i.Item).ToArray(), items.Select(i => i.Explored).ToArray())
        {
            UserGroup = result.Trace is { } trace ? (ExplorationBudget.IsNewUser(trace.Request) ? "new" : "established") : null,
            Logging = redrawn is null ? Logging(result) : null,
        }, redrawn);
        var model = snapshot.Primary is { } p ? new ModelRef(p.Version.Name, p.Version.Version) : null;
        var stages = q.Debug ? result.Stages.Select(s => new StageDto(s.Stage, Math.Round(s.Milliseconds, 3), s.Skipped, s.Why)).ToArray() : null;
        return new RecommendationResponse(items, id, result.Path, model, Math.Round(result.ExplorationRate, 4), Math.Round(result.SessionShare, 4), Math.Round(clock.Elapsed.TotalMilliseconds, 3), stages, assignment?.Tag);
    }

    /// <summary>
    /// The bandit's logging record of a served list (exploit rank and propensity per slot, for
    /// off-policy evaluation), or null when there was no bandit stage, the list is not the policy's
    /// slate slot for slot, or the policy gives no propensities (yet: see <see cref="RedrawnLogging"/>).
    /// </summary>
    internal static SlotLogging? Logging(RankingResult result) => result.Trace is { } trace ? Logging(trace.Picks, trace.CandidateCount, result, null) : null;

    /// <summary>
    /// For a slate whose propensities the policy left to redraws (<see cref="ExplorationTrace.Pending"/>), the
    /// logging record to work out later, in the serving log's queue (the redraws take about 1/μ draws for the
    /// rarest pick, off the request path); null when there are none or the list is not the slate slot for slot.
    /// </summary>
    internal static Func<SlotLogging?>? RedrawnLogging(RankingResult result)
    {
        if (result.Trace is not { Pending: { } redraws } trace || !SlotForSlot(trace.Picks, result)) return null;
        return () => Logging(redraws.Apply(new SlateDecision([.. trace.Picks], 0)).Picks, trace.CandidateCount, result, redraws);
    }

    private static bool SlotForSlot(IReadOnlyList<SlatePick> picks, RankingResult result)
    {
        if (picks.Count != result.Items.Count) return false;
        for (var j = 0; j < picks.Count; j++) if (picks[j].Item != result.Items[j].Item) return false;
        return true;
    }

    private static SlotLogging? Logging(IReadOnlyList<SlatePick> picks, int candidates, RankingResult result, PropensityRedraws? redraws) =>
        SlotForSlot(picks, result) ? OffPolicyLog.Record(picks, candidates, redraws) : null;

    /// <summary>Session (cart) recommendations for an anonymous visitor: the given items act as the history, newest last.</summary>
    public RecommendationResponse Session(IReadOnlyList<string> itemIds, RecommendationQuery q)
    {
        var snapshot = Snapshot;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var history = itemIds.Select(snapshot.Catalog.IndexOf).Where(i => i >= 0).Select((i, k) => new HistoryEvent(i, EventKind.View, now - (itemIds.Count - k))).ToArray();
        return Recommend("anonymous:" + NewId("s"), q, history);
    }

    public SimilarResponse? Similar(string itemId, int n)
    {
        var snapshot = Snapshot;
        var cat = snapshot.Catalog;
        var item = cat.IndexOf(itemId);
        if (item < 0) return null;
        var items = snapshot.SimilarItems(item, n, i => cat.InStock(i))
            .Select(s => ToWire(cat, s.Item, s.Score, s.Reason, "similar", false)).ToArray();
        return new SimilarResponse(itemId, items);
    }

    public SearchResponse Search(string query, string? user, int n)
    {
        var snapshot = Snapshot;
        var cat = snapshot.Catalog;
        Func<IReadOnlyList<int>, float[]>? personal = null;
        if (user is not null && snapshot.Scorer is { } scorer)
        {
            var history = History(snapshot, user).Select(e => e.Item).ToArray();
            if (history.Length > 0)
                personal = items =>
                {
                    // Only the matched items are scored; items the model does not know get the lowest known score.
                    var scores = new float[items.Count];
                    scorer.Score(scorer.ToModel(history), items, scores);
                    var floor = scores.Where(float.IsFinite).DefaultIfEmpty(0).Min();
                    for (var k = 0; k < scores.Length; k++) if (!float.IsFinite(scores[k])) scores[k] = floor;
                    return scores;
                };
        }
        // Hybrid search: keyword matches fused with the items nearest the query's text vector, when the catalog has stored text vectors.
        var semantic = snapshot.TextVectors is { PresentCount: > 0 } vectors && text?.TryEncodeQuery(query) is { } qv ? SearchIndex.Nearest(qv, vectors, 200) : null;
        var hits = snapshot.Search.Search(query, n, i => cat.InStock(i), personal, semantic: semantic);
        return new SearchResponse(query, personal is not null, hits.Select(h =>
        {
            var category = cat.Category(h.Item) >= 0 ? cat.CategoryName(cat.Category(h.Item)) : null;
            var reason = h.Personal > 0.5f && personal is not null ? $"matches \"{query}\" and your interests" : $"matches \"{query}\"";
            return new SearchHit(cat.Id(h.Item), h.Score, h.Text, h.Personal, cat.Title(h.Item), category, reason);
        }).ToArray());
    }

    /// <summary>Shops for a user: the shops of their top candidate items, each shop scored by the sum of its items' fused scores with diminishing returns.</summary>
    public ShopsResponse Shops(string user, int n)
    {
        var recs = Recommend(user, new RecommendationQuery(Math.Min(200, options.Value.MaxN), PageContext.Home, null, [], null, [], null, false));
        var cat = Snapshot.Catalog;
        var byShop = new Dictionary<string, List<float>>();
        foreach (var r in recs.Items)
        {
            var i = cat.IndexOf(r.Item);
            if (i < 0 || cat.Shop(i) < 0) continue;
            var shop = cat.ShopName(cat.Shop(i));
            if (!byShop.TryGetValue(shop, out var list)) byShop[shop] = list = [];
            list.Add(r.Score);
        }
        var shops = byShop.Select(p => new ShopScore(p.Key, Math.Round(p.Value.Select((s, k) => s / Math.Sqrt(k + 1)).Sum(), 6), p.Value.Count,
                $"{p.Value.Count} of your top {recs.Items.Count} picks are sold there"))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Shop, StringComparer.Ordinal).Take(n).ToArray();
        return new ShopsResponse(shops, recs.RecommendationId);
    }

    /// <summary>
    /// Campaign audience: the users most likely to want an item (or any item of a category), scored
    /// with the large model from each recent user's history: user vector · item vector when the model
    /// is a user encoder, its score otherwise. Scans the most recently active users. Users are returned as
    /// the pseudonyms the store keeps; an audience of fewer than k scored users is withheld.
    /// </summary>
    public AudienceResponse? Audience(string? itemId, string? category, int n, int scanUsers, Privacy.SegmentRelease release)
    {
        var snapshot = Snapshot;
        var cat = snapshot.Catalog;
        var primary = snapshot.Primary ?? throw new InvalidOperationException("no model published yet");
        int[] targets;
        string label;
        if (itemId is not null) { var i = cat.IndexOf(itemId); if (i < 0) return null; targets = [i]; label = "item " + itemId; }
        else { var items = cat.ItemsInCategory(category!); if (items is null) return null; targets = items; label = "category " + category; }
        var scorer = primary.Scorer;
        var known = targets.Where(scorer.Knows).ToArray();
        var users = store.RecentUsers(scanUsers);
        var scored = new List<AudienceMember>(users.Count);
        var target = scorer.MeanVector(known);
        var scores = new float[known.Length];
        foreach (var u in users)
        {
            var history = scorer.ToModel(History(snapshot, u).Select(e => e.Item).ToArray());
            if (history.Length == 0) continue;
            double s;
            if (target is not null) s = System.Numerics.Tensors.TensorPrimitives.Dot<float>(scorer.EncodeModel(history).Values, target);
            else if (known.Length == 0) continue;
            else { scorer.Score(history, known, scores); s = scores.Average(); }
            scored.Add(new AudienceMember(u, Math.Round(s, 6)));
        }
        var method = target is not null ? $"{primary.Version.Name} user vector · mean item vector" : $"{primary.Version.Name} score";
        if (!release.Releasable(scored.Count))
            return new AudienceResponse(label, null, [], method, release.K, true, $"withheld: fewer than {release.K} users could be scored for this target ({release.Describe()})");
        var top = scored.OrderByDescending(a => a.Score).ThenBy(a => a.User, StringComparer.Ordinal).Take(n).ToArray();
        return new AudienceResponse(label, release.Size(scored.Count), top, method, release.K, false, $"users are pseudonyms; {release.Describe()}");
    }

    /// <summary>The user's interests from their latest events across every linked id, with the activity per platform.</summary>
    public InterestProfile Profile(string user)
    {
        var snapshot = Snapshot;
        var group = links.Group(user);
        var recent = Merge(group, id => store.RecentEvents(id, ProfileEvents).Select(e => new RecentEvent(e.Item, e.Kind, e.Timestamp, e.Platform)).ToArray(), ProfileEvents);
        var history = new List<HistoryEvent>(recent.Count);
        for (var i = recent.Count - 1; i >= 0; i--)
            history.Add(new HistoryEvent(recent[i].Item is { } id ? snapshot.Catalog.IndexOf(id) : -1, recent[i].Kind, recent[i].Timestamp));
        var platforms = recent.GroupBy(e => e.Platform ?? UnspecifiedPlatform, StringComparer.Ordinal)
            .Select(g => new PlatformActivity(g.Key, g.Count(), g.Max(e => e.Timestamp)))
            .OrderByDescending(p => p.Events).ThenBy(p => p.Platform, StringComparer.Ordinal).ToArray();
        return InterestProfile.Build(snapshot.Catalog, history, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) with { Platforms = platforms, LinkedIds = group.Count };
    }

    /// <summary>Latest events a profile is built from (across the linked ids).</summary>
    public const int ProfileEvents = 1000;

    /// <summary>The profile's name for events sent without a platform.</summary>
    public const string UnspecifiedPlatform = "unspecified";

    private static RecommendedItem ToWire(CatalogIndex cat, int item, float score, string reason, string source, bool explored) =>
        new(cat.Id(item), MathF.Round(score, 6), reason, source, explored, cat.Title(item), cat.Category(item) >= 0 ? cat.CategoryName(cat.Category(item)) : null);

    /// <summary>A random, unguessable id: prefix + 20 hex characters.</summary>
    public static string NewId(string prefix) => prefix + "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
}
