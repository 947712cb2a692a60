namespace Merx.Evaluation.Experiments;

/// <summary>What a user did, as an experiment counts it.</summary>
public enum ExperimentEvent { Impression, Click, AddToCart, Purchase }

/// <summary>The user-level proportion an experiment is judged on: the share of exposed users who clicked, added to cart, or purchased at least once.</summary>
public enum ExperimentMetric { Click, AddToCart, Purchase }

/// <summary>
/// One variant's cumulative tallies. Event counts are totals; the "…Users" counts are distinct
/// users with at least one such event (the proportions the tests compare, one Bernoulli per user,
/// so repeated clicks by one user do not fake precision). Revenue is summed per user, and
/// <see cref="RevenueSquares"/> is Σ over users of (that user's revenue)², so revenue per user has
/// mean Revenue/Users and variance RevenueSquares/Users − mean².
/// </summary>
public sealed record VariantTally(
    string Name, double Share, long Users, long Impressions, long Clicks, long AddToCarts, long Purchases,
    long ClickingUsers, long CartUsers, long PurchasingUsers, double Revenue, double RevenueSquares)
{
    public long Successes(ExperimentMetric metric) => metric switch
    {
        ExperimentMetric.Click => ClickingUsers,
        ExperimentMetric.AddToCart => CartUsers,
        _ => PurchasingUsers,
    };

    public double RevenuePerUser => Users > 0 ? Revenue / Users : 0;
    public double RevenuePerUserVariance => Users > 1 ? Math.Max(0, (RevenueSquares - Revenue * Revenue / Users) / (Users - 1)) : 0;
}

/// <summary>The sequential test of one treatment against the control: always-valid p, when it became conclusive (users of both arms) and with which difference pB − pA.</summary>
public sealed record SequentialState(string Treatment, double AlwaysValidP, long? ConclusiveAtUsers, double ConclusiveDifference, long Looks, double Alpha);

/// <summary>An immutable, consistent copy of an experiment's state: safe to analyse or serialise while tracking goes on.</summary>
public sealed record ExperimentSnapshot(Experiment Experiment, ExperimentMetric Metric, SequentialTestOptions Options,
    IReadOnlyList<VariantTally> Variants, IReadOnlyList<SequentialState> Sequential);

/// <summary>
/// Live tallies of one experiment, safe to call from many request threads (one lock, O(variants)
/// work per call). Every call assigns the user by the experiment's hash, counts them once on first
/// sight, and updates the sequential test of their variant against the control, so the test
/// watches every change, as continuous monitoring requires. Memory: one small entry per user.
/// With more than one treatment each is tested at α/(variants − 1) (Bonferroni).
/// </summary>
/// <example>
/// <code>
/// var exp = Experiment.Even("home-recs-v2", "control", "sasrec");
/// var tracker = new ExperimentTracker(exp, SequentialTestOptions.ForBaseRate(0.12)); // τ = 10% of a 12% click rate
/// var arm = tracker.Expose(userId).Name;               // which recommender this user gets
/// tracker.Record(userId, ExperimentEvent.Impression);
/// tracker.Record(userId, ExperimentEvent.Purchase, 39.90);
/// var report = ExperimentAnalysis.Analyze(tracker.Snapshot()); // report.Verdict: "sasrec beats control: +…"
/// </code>
/// </example>
public sealed class ExperimentTracker
{
    private readonly object _lock = new();
    private readonly Dictionary<string, UserState> _users = new(StringComparer.Ordinal);
    private readonly Counts[] _counts;
    private readonly SequentialMonitor?[] _monitors; // (V,), null at the control

    public ExperimentTracker(Experiment experiment, SequentialTestOptions options, ExperimentMetric metric = ExperimentMetric.Click)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        options.Validate();
        Experiment = experiment; Options = options; Metric = metric;
        var v = experiment.Variants.Count;
        _counts = Enumerable.Range(0, v).Select(_ => new Counts()).ToArray();
        _monitors = Enumerable.Range(0, v).Select(i => i == 0 ? null : new SequentialMonitor(options, options.Alpha / (v - 1))).ToArray();
    }

    public Experiment Experiment { get; }
    public SequentialTestOptions Options { get; }
    public ExperimentMetric Metric { get; }

    /// <summary>Assigns and counts the user (once); returns their variant. Call when the user is first shown the experiment.</summary>
    public Variant Expose(string userId)
    {
        lock (_lock) return Experiment.Variants[Touch(userId).Variant];
    }

    /// <summary>Counts an event of the user (exposing them first if needed); <paramref name="revenue"/> is added for purchases (≥ 0, in the shop's currency).</summary>
    public void Record(string userId, ExperimentEvent kind, double revenue = 0)
    {
        if (!(revenue >= 0 && double.IsFinite(revenue))) throw new ArgumentOutOfRangeException(nameof(revenue), revenue, "revenue must be a finite amount ≥ 0");
        if (kind != ExperimentEvent.Purchase && revenue != 0) throw new ArgumentException("revenue belongs to purchase events", nameof(revenue));
        lock (_lock)
        {
            var u = Touch(userId);
            var c = _counts[u.Variant];
            var flag = kind switch { ExperimentEvent.Click => 1, ExperimentEvent.AddToCart => 2, ExperimentEvent.Purchase => 4, _ => 0 };
            switch (kind)
            {
                case ExperimentEvent.Impression: c.Impressions++; break;
                case ExperimentEvent.Click: c.Clicks++; if ((u.Flags & 1) == 0) c.ClickingUsers++; break;
                case ExperimentEvent.AddToCart: c.AddToCarts++; if ((u.Flags & 2) == 0) c.CartUsers++; break;
                default:
                    c.Purchases++; if ((u.Flags & 4) == 0) c.PurchasingUsers++;
                    c.Revenue += revenue;
                    c.RevenueSquares += revenue * (2 * u.Revenue + revenue); // (r + x)² − r²
                    u.Revenue += revenue;
                    break;
            }
            var newSuccess = (u.Flags & flag) == 0 && flag == MetricFlag;
            u.Flags |= flag;
            _users[userId] = u;
            if (newSuccess) Observe(u.Variant);
        }
    }

    /// <summary>
    /// Moves a user's state to a new id (a key rotation renamed their pseudonym): they keep their variant
    /// and what they already counted, and nothing stays under the old id. No-op when the old id is
    /// unknown or the new one is already tracked.
    /// </summary>
    public void Rename(string fromUserId, string toUserId)
    {
        ArgumentNullException.ThrowIfNull(fromUserId);
        ArgumentNullException.ThrowIfNull(toUserId);
        lock (_lock)
        {
            if (_users.ContainsKey(toUserId) || !_users.Remove(fromUserId, out var u)) return;
            _users[toUserId] = u;
        }
    }

    /// <summary>True when the user has been exposed (is tracked under this id).</summary>
    public bool Tracks(string userId)
    {
        lock (_lock) return _users.ContainsKey(userId);
    }

    /// <summary>The ids of every tracked user, a copy (a service matching deleted or renamed users against them).</summary>
    public string[] UserIds()
    {
        lock (_lock) return [.. _users.Keys];
    }

    /// <summary>A consistent immutable copy of the tallies and sequential tests.</summary>
    public ExperimentSnapshot Snapshot()
    {
        lock (_lock)
        {
            var tallies = _counts.Select((c, v) => new VariantTally(Experiment.Variants[v].Name, Experiment.Variants[v].Share, c.Users, c.Impressions, c.Clicks,
                c.AddToCarts, c.Purchases, c.ClickingUsers, c.CartUsers, c.PurchasingUsers, c.Revenue, c.RevenueSquares)).ToArray();
            var seq = _monitors.Select((m, v) => (m, v)).Where(x => x.m is not null)
                .Select(x => new SequentialState(Experiment.Variants[x.v].Name, x.m!.AlwaysValidP, x.m.ConclusiveAtUsers, x.m.ConclusiveDifference, x.m.Looks, x.m.Alpha)).ToArray();
            return new ExperimentSnapshot(Experiment, Metric, Options, tallies, seq);
        }
    }

    private int MetricFlag => Metric switch { ExperimentMetric.Click => 1, ExperimentMetric.AddToCart => 2, _ => 4 };

    private UserState Touch(string userId)
    {
        if (_users.TryGetValue(userId, out var u)) return u;
        u = new UserState { Variant = Experiment.AssignIndex(userId) };
        _users[userId] = u;
        _counts[u.Variant].Users++;
        Observe(u.Variant);
        return u;
    }

    /// <summary>A count of <paramref name="variant"/> changed: look again at the tests it takes part in.</summary>
    private void Observe(int variant)
    {
        var c0 = _counts[0];
        for (var v = 1; v < _counts.Length; v++)
            if (variant == 0 || variant == v)
                _monitors[v]!.Update(Successes(c0), c0.Users, Successes(_counts[v]), _counts[v].Users);
    }

    private long Successes(Counts c) => Metric switch { ExperimentMetric.Click => c.ClickingUsers, ExperimentMetric.AddToCart => c.CartUsers, _ => c.PurchasingUsers };

    private struct UserState
    {
        public int Variant;
        public int Flags;     // 1 clicked, 2 added to cart, 4 purchased
        public double Revenue;
    }

    private sealed class Counts
    {
        public long Users, Impressions, Clicks, AddToCarts, Purchases, ClickingUsers, CartUsers, PurchasingUsers;
        public double Revenue, RevenueSquares;
    }
}
