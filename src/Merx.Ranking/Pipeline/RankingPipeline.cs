using System.Diagnostics;
using Merx.Core.Diagnostics;
using Merx.Core.Domain;

namespace Merx.Ranking.Pipeline;

/// <summary>
/// The request pipeline of DESIGN §1 as composable stages: candidate sources (the large model
/// through the snapshot's <see cref="Scoring.CatalogScorer"/>) → fusion (weights shift toward
/// in-session behaviour) → filters (applied inside the sources: stock, allowed set, exclusions,
/// already seen or purchased) → diversity (MMR) → explore/exploit → explanations.
/// Diversity runs before explore/exploit, unlike the order DESIGN §1 draws, on purpose: the MMR
/// slate followed by the rest of the fused pool is the exploit order the bandit starts from, and
/// the bandit's slate is what is served, slot for slot. Diversifying after the bandit would reorder
/// or drop its picks, so the explored share would no longer be the policy's (its budget controller
/// counts explored slots) and feedback would name exploit ranks and slots it never chose.
/// Accuracy vs resources: each expensive source's cost is tracked (exponential moving average);
/// when the latency budget cannot cover it, or the server says it is overloaded, the pipeline
/// takes the fast path (cheap sources only) and reports it in <see cref="RankingResult.Path"/>.
/// Thread-safe; holds no per-request state.
/// </summary>
public sealed class RankingPipeline
{
    private readonly ICandidateSource[] _sources;
    private readonly Dictionary<string, double> _costMs = new();   // EWMA of each source's ms
    private readonly Lock _costGate = new();

    public RankingPipeline(CatalogIndex catalog, IEnumerable<ICandidateSource> sources, TrendingSource trending, IExplorationStage? exploration = null, RankingOptions? options = null)
    {
        Catalog = catalog; Trending = trending; Exploration = exploration; Options = options ?? new RankingOptions();
        _sources = sources.ToArray();
        if (_sources.Select(s => s.Name).Distinct().Count() != _sources.Length) throw new ArgumentException("candidate source names must be unique", nameof(sources));
    }

    public CatalogIndex Catalog { get; }
    public TrendingSource Trending { get; }
    public IExplorationStage? Exploration { get; }
    public RankingOptions Options { get; }
    public IReadOnlyList<ICandidateSource> Sources => _sources;

    /// <summary>Expected milliseconds of the expensive sources (moving average; 0 before the first request).</summary>
    public double ExpectedExpensiveMs
    {
        get { lock (_costGate) return _sources.Where(s => s.Expensive).Sum(s => _costMs.GetValueOrDefault(s.Name)); }
    }

    public RankingResult Run(RankingRequest request)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(request.N);
        var clock = Stopwatch.StartNew();
        var stages = new List<StageTiming>();
        var context = BuildContext(request);
        var sessionShare = context.RecentItems.Length == 0 ? 0 : Math.Min(1.0, (double)context.SessionItems.Length / Options.SessionSaturation);

        var cold = context.RecentItems.Length == 0 && request.ContextItem is null && request.CartItems.Count == 0;
        var path = cold ? "cold-start" : "full";
        string? fastWhy = request.Overloaded ? "server overloaded" : null;
        var expected = ExpectedExpensiveMs;
        if (fastWhy is null && request.LatencyBudget is { } budget && expected * Options.BudgetSafety > budget.TotalMilliseconds)
            fastWhy = $"budget {budget.TotalMilliseconds:F1} ms < expected {expected * Options.BudgetSafety:F1} ms";

        var limit = Math.Max(50, request.N * Options.CandidatesPerSource);
        var proposals = new List<(ICandidateSource Source, IReadOnlyList<SourceCandidate> Items, float Weight)>();
        foreach (var source in _sources)
        {
            if (!source.Applies(context)) { stages.Add(new(source.Name, 0, true, "not applicable")); continue; }
            if (source.Expensive && !cold)
            {
                var why = fastWhy ?? (request.LatencyBudget is { } b && clock.Elapsed + TimeSpan.FromMilliseconds(Cost(source) * Options.BudgetSafety) > b ? "deadline" : null);
                if (why is not null) { stages.Add(new(source.Name, 0, true, why)); path = "fast"; continue; }
            }
            var t0 = clock.Elapsed.TotalMilliseconds;
            IReadOnlyList<SourceCandidate> items;
            using (var span = Stage("source:" + source.Name)) { items = source.Propose(context, limit); span?.SetTag("merx.candidates", items.Count); }
            var ms = clock.Elapsed.TotalMilliseconds - t0;
            Record(source.Name, ms);
            stages.Add(new(source.Name, ms, false));
            proposals.Add((source, items, Weight(source, sessionShare, cold)));
        }

        var t1 = clock.Elapsed.TotalMilliseconds;
        List<RankedItem> fused;
        Dictionary<int, (float Score, float Best, ICandidateSource Source, SourceCandidate Candidate)>? pending;
        using (Stage("fusion"))
        {
            fused = Fuse(proposals, context, out pending);
            if (fused.Count == 0)
            {
                path = "fallback";
                fused = Trending.Propose(context, limit).Select(c => new RankedItem(c.Item, c.Score, Trending.Name, Explain(context, Trending.Name, c), false)).ToList();
            }
        }
        stages.Add(new("fusion", clock.Elapsed.TotalMilliseconds - t1, false));

        var t2 = clock.Elapsed.TotalMilliseconds;
        List<RankedItem> slate;
        using (Stage("diversity"))
            slate = Diversity.Mmr(Catalog, fused.Take(Math.Max(3 * request.N, request.N)).ToList(), request.N, request.Overrides?.DiversityLambda ?? Options.DiversityLambda);
        stages.Add(new("diversity", clock.Elapsed.TotalMilliseconds - t2, false));

        var rate = 0.0;
        ExplorationTrace? trace = null;
        if (Exploration is not null && request.Overrides?.Explore != false)
        {
            var t3 = clock.Elapsed.TotalMilliseconds;
            using var span = Stage("explore:" + Exploration.Name);
            var known = new HashSet<int>(context.RecentItems.Select(Catalog.Category).Where(c => c >= 0));
            // The exploit order a learning policy starts from is the diversified slate, then the rest of the fused candidates.
            var inSlate = new HashSet<int>(slate.Select(r => r.Item));
            var pool = slate.Concat(fused.Where(r => !inSlate.Contains(r.Item))).ToList();
            var input = new ExplorationInput { Request = request, Catalog = Catalog, Context = context, KnownCategories = known, Trending = Trending, Slate = slate, Pool = pool };
            rate = Exploration.Apply(input, new Random(unchecked((int)request.Seed ^ (int)(request.Seed >> 32))));
            trace = input.Trace;
            span?.SetTag("merx.exploration_share", rate);
            stages.Add(new("explore:" + Exploration.Name, clock.Elapsed.TotalMilliseconds - t3, false));
        }
        ExplainServed(slate, context, pending);
        if (pending is not null) ThreadScratch<int, (float Score, float Best, ICandidateSource Source, SourceCandidate Candidate)>.Return(pending);
        return new RankingResult(slate, path, stages, sessionShare, rate) { Trace = trace, UserVector = context.UserVector };
    }

    /// <summary>A span for one stage (null when nobody listens to <see cref="MerxDiagnostics.Source"/>).</summary>
    private static System.Diagnostics.Activity? Stage(string name) => MerxDiagnostics.Source.StartActivity("pipeline." + name);

    private CandidateContext BuildContext(RankingRequest request)
    {
        var history = request.History;
        var seen = new HashSet<int>();
        var recent = new List<int>(history.Count);
        for (var i = history.Count - 1; i >= 0; i--)
            if (seen.Add(history[i].Item)) recent.Add(history[i].Item);
        recent.Reverse();
        var session = new List<int>();
        var scope = request.SessionHistory ?? history;
        if (scope.Count > 0 && request.Now - scope[^1].Timestamp <= Options.SessionGapSeconds)
        {
            session.Add(scope[^1].Item);
            for (var i = scope.Count - 2; i >= 0 && scope[i + 1].Timestamp - scope[i].Timestamp <= Options.SessionGapSeconds; i--) session.Add(scope[i].Item);
            session.Reverse();
        }
        var blocked = new HashSet<int>(request.Exclude);
        foreach (var e in history)
            if (request.ExcludeSeen || e.Kind == EventKind.Purchase) blocked.Add(e.Item);
        foreach (var c in request.CartItems) blocked.Add(c);
        if (request.ContextItem is { } page) blocked.Add(page);
        var allowed = request.Allowed;
        bool Admissible(int i) => (uint)i < (uint)Catalog.Count && Catalog.InStock(i) && !blocked.Contains(i) && (allowed is null || allowed.Contains(i));
        return new CandidateContext(request, Catalog, recent.ToArray(), session.Distinct().ToArray(), Admissible);
    }

    private float Weight(ICandidateSource source, double sessionShare, bool cold)
    {
        var o = Options;
        var shift = (float)sessionShare * o.SessionShift;
        return source switch
        {
            _ when cold => source.Name == Trending.Name ? 1f : o.NewItemWeight,
            ModelSource => o.LongTermWeight * (1 - shift),
            NeighborSource => o.NeighborWeight + shift,
            TrendingSource => o.TrendingWeight,
            NewItemSource => o.NewItemWeight,
            _ => 0.3f,
        };
    }

    private List<RankedItem> Fuse(List<(ICandidateSource Source, IReadOnlyList<SourceCandidate> Items, float Weight)> proposals, CandidateContext context,
        out Dictionary<int, (float Score, float Best, ICandidateSource Source, SourceCandidate Candidate)> pending)
    {
        // Sized for every proposal up front (growing it step by step was a fifth of a request's allocations at 1M items), and
        // the thread's own from one request to the next.
        var capacity = 0;
        foreach (var (_, items, _) in proposals) capacity += items.Count;
        var acc = ThreadScratch<int, (float Score, float Best, ICandidateSource Source, SourceCandidate Candidate)>.Take(capacity);   // back in Run, once served
        foreach (var (source, items, weight) in proposals)
            for (var r = 0; r < items.Count; r++)
            {
                var c = items[r];
                var add = weight / (Options.FusionK + r + 1);
                acc.TryGetValue(c.Item, out var cur);
                acc[c.Item] = add > cur.Best ? (cur.Score + add, add, source, c) : (cur.Score + add, cur.Best, cur.Source, cur.Candidate);
            }
        // Only the head of the list can reach the slate without the exploration stage picking it;
        // the rest is explained when (if) it is served, by ExplainServed.
        var explainTop = Math.Max(3 * context.Request.N, 10);
        var ranked = new List<RankedItem>(acc.Count);
        // The order's keys only: the values are read back from the dictionary, not copied into a second array of all
        // candidates (that copy was 8 % of a request's allocations at 1M items).
        foreach (var (_, item) in ScoreOrder.Keys(acc, v => v.Score))
        {
            var v = acc[item];
            ranked.Add(new RankedItem(item, v.Score, v.Source.Name, ranked.Count < explainTop ? Explain(context, v.Source.Name, v.Candidate) : "", false));
        }
        pending = acc;
        return ranked;
    }

    // Fills the reasons Fuse deferred ("") for the items actually served.
    private void ExplainServed(List<RankedItem> slate, CandidateContext context, Dictionary<int, (float Score, float Best, ICandidateSource Source, SourceCandidate Candidate)>? pending)
    {
        if (pending is null) return;
        for (var i = 0; i < slate.Count; i++)
            if (slate[i].Reason.Length == 0 && pending.TryGetValue(slate[i].Item, out var p))
                slate[i] = slate[i] with { Reason = Explain(context, p.Source.Name, p.Candidate) };
    }

    /// <summary>The reason shown with an item, from the source that contributed most to it.</summary>
    private string Explain(CandidateContext context, string source, SourceCandidate c)
    {
        // Loops and static helpers, not lambdas: a closure over these locals was allocated on every call (2.5 % of a
        // request's allocations at 1M items), whichever branch answered.
        var cat = Catalog;
        var request = context.Request;
        if (c.Anchor >= 0 && source == "itemknn")
        {
            if (request.ContextItem == c.Anchor) return $"similar to {cat.Label(c.Anchor)}";
            if (request.CartItems.Contains(c.Anchor)) return $"goes well with {cat.Label(c.Anchor)} in your cart";
            var kind = default(EventKind);
            for (var k = request.History.Count - 1; k >= 0; k--)
                if (request.History[k].Item == c.Anchor) { kind = request.History[k].Kind; break; }
            return kind switch
            {
                EventKind.Purchase => $"because you bought {cat.Label(c.Anchor)}",
                EventKind.AddToCart => $"because you added {cat.Label(c.Anchor)} to your cart",
                _ => $"because you viewed {cat.Label(c.Anchor)}",
            };
        }
        if (source == "new")
        {
            var brand = cat.Brand(c.Item);
            if (brand >= 0 && AnyRecent(context, cat, brand, byBrand: true)) return $"new in {cat.BrandName(brand)}, a brand you like";
            // Placed by its text alone (its attributes match none of the user's recent items well enough): name the closest one.
            if (c.Anchor >= 0 && NewItemSource.Match(cat, c.Item, c.Anchor) < 1f) return $"new, and much like {cat.Label(c.Anchor)}";
            return $"new in {CategoryOf(cat, c.Item)}";
        }
        if (source == Trending.Name) return $"popular in {CategoryOf(cat, c.Item)}";
        var category = cat.Category(c.Item);
        if (category >= 0 && AnyRecent(context, cat, category, byBrand: false)) return $"matches your interest in {cat.CategoryName(category)}";
        return "picked for you from your recent activity";
    }

    private static string CategoryOf(CatalogIndex cat, int item) => cat.Category(item) >= 0 ? cat.CategoryName(cat.Category(item)) : "the shop";

    /// <summary>Whether one of the user's recent items has brand (or category) <paramref name="value"/>.</summary>
    private static bool AnyRecent(CandidateContext context, CatalogIndex cat, int value, bool byBrand)
    {
        foreach (var i in context.RecentItems)
            if ((byBrand ? cat.Brand(i) : cat.Category(i)) == value) return true;
        return false;
    }

    private double Cost(ICandidateSource source)
    {
        lock (_costGate) return _costMs.GetValueOrDefault(source.Name);
    }

    private void Record(string source, double ms)
    {
        lock (_costGate) _costMs[source] = _costMs.TryGetValue(source, out var old) ? 0.9 * old + 0.1 * ms : ms;
    }
}
