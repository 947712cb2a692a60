using System.Text.Json;
using System.Text.RegularExpressions;
using Merx.Core.Domain;
using Merx.Evaluation.Experiments;
using Merx.Ranking.Pipeline;
using Merx.Service.Users;
using Merx.Storage;

namespace Merx.Service.Experiments;

/// <summary>One arm of an A/B experiment: its traffic share and the pipeline settings its users get.</summary>
public sealed record VariantConfig(string Name, double Share, bool? Explore = null, float? DiversityLambda = null);

/// <summary>An experiment as defined over the API or the CLI (persisted in the store's state table).</summary>
public sealed record ExperimentDefinition(string Id, IReadOnlyList<VariantConfig> Variants, string Metric, double BaseRate, DateTimeOffset CreatedAt, DateTimeOffset? StoppedAt = null);

/// <summary>
/// A/B experiments in the service: at most one runs at a time; each user is assigned by a hash of
/// the experiment id and their id (the same variant on every replica and after restarts), every
/// served list is tagged "experiment:variant", and feedback on a tagged list updates the live
/// tallies and the always-valid sequential test. Tallies are rebuilt from the store's served lists
/// and feedback when the service starts, so a restart loses nothing. Deleted and renamed users
/// (by any process) reach the tallies through <see cref="UserLifecycle"/>.
/// <para>
/// Over a store replicas share (<see cref="ISharedServingState"/>, PostgreSQL; issue 18) the store's served
/// lists and feedback rows are the tallies: a report is computed from them, so it counts what every replica
/// served and received (lists another replica served in the last few milliseconds, not yet written by its
/// batching served log, are missing), and the definitions are re-read from the store at most
/// <see cref="DefinitionsRefresh"/> apart, so an experiment started or stopped on one replica runs or stops on all.
/// </para>
/// </summary>
public sealed partial class ExperimentService : IUserStateHolder
{
    private const string StateKey = "experiments";
    private readonly IServingLog _log;
    private readonly ISettingsStore _settings;
    private readonly Lock _gate = new();
    private readonly List<ExperimentDefinition> _definitions;
    private readonly Dictionary<string, ExperimentTracker> _trackers = new(StringComparer.Ordinal);
    private readonly bool _shared;
    private long _definitionsReadAt;

    /// <summary>Longest time a replica over a shared store goes on with definitions another replica changed.</summary>
    public static readonly TimeSpan DefinitionsRefresh = TimeSpan.FromSeconds(1);

    public ExperimentService(IServingLog log, ISettingsStore settings)
    {
        _log = log;
        _settings = settings;
        _shared = settings is ISharedServingState;
        _definitions = StoredDefinitions();
        _definitionsReadAt = Environment.TickCount64;
        foreach (var d in _definitions) _trackers[d.Id] = Replay(d);
    }

    public IReadOnlyList<ExperimentDefinition> Definitions { get { RefreshShared(); lock (_gate) return _definitions.ToArray(); } }

    public ExperimentDefinition? Running { get { RefreshShared(); lock (_gate) return _definitions.LastOrDefault(d => d.StoppedAt is null); } }

    private List<ExperimentDefinition> StoredDefinitions() =>
        _settings.GetState(StateKey) is { } bytes ? JsonSerializer.Deserialize<List<ExperimentDefinition>>(bytes, WireJson.Options) ?? [] : [];

    /// <summary>Shared stores: takes other replicas' new, started and stopped experiments (at most every <see cref="DefinitionsRefresh"/> unless forced).</summary>
    private void RefreshShared(bool force = false)
    {
        if (!_shared) return;
        var now = Environment.TickCount64;
        if (!force && now - Interlocked.Read(ref _definitionsReadAt) < DefinitionsRefresh.TotalMilliseconds) return;
        Interlocked.Exchange(ref _definitionsReadAt, now);
        var stored = StoredDefinitions();
        lock (_gate)
            foreach (var d in stored)
            {
                var i = _definitions.FindIndex(x => x.Id == d.Id);
                if (i >= 0) _definitions[i] = d;
                else
                {
                    _definitions.Add(d);
                    _trackers[d.Id] = NewTracker(d); // a report reads the store's tallies; this one only assigns variants
                }
            }
    }

    /// <summary>The running experiment's variant for this user (tag "id:variant") and its settings; null when none runs (or for anonymous sessions).</summary>
    public (string Tag, RankingOverrides Overrides)? Assign(string user)
    {
        if (user.StartsWith("anonymous:", StringComparison.Ordinal)) return null;
        RefreshShared();
        ExperimentDefinition? running; ExperimentTracker tracker;
        lock (_gate)
        {
            running = _definitions.LastOrDefault(d => d.StoppedAt is null);
            if (running is null) return null;
            tracker = _trackers[running.Id];
        }
        var variant = tracker.Expose(user);
        var config = running.Variants.First(v => v.Name == variant.Name);
        return ($"{running.Id}:{variant.Name}", new RankingOverrides(config.Explore, config.DiversityLambda));
    }

    /// <summary>Feedback on a list served under <paramref name="tag"/> ("id:variant").</summary>
    public void Record(string tag, string user, EventKind kind, double value)
    {
        var id = tag[..Math.Max(0, tag.IndexOf(':'))];
        ExperimentTracker? tracker;
        lock (_gate) _trackers.TryGetValue(id, out tracker);
        if (tracker is not null && ToExperimentEvent(kind) is { } e) tracker.Record(user, e, e == ExperimentEvent.Purchase ? Math.Max(0, value) : 0);
    }

    /// <summary>Moves renamed users' live tallies (key rotation) to their new pseudonyms in every experiment: they keep their variant.</summary>
    public void Rename(UserRenames renames)
    {
        ExperimentTracker[] trackers;
        lock (_gate) trackers = _trackers.Values.ToArray();
        foreach (var t in trackers)
            foreach (var user in t.UserIds())
                if (renames.TryGetNewId(user, out var to)) t.Rename(user, to);
    }

    /// <summary>
    /// Deleted users leave the live reports: when any experiment tracks one, the tallies are rebuilt from
    /// the store, which no longer holds their exposures and feedback (a tally cannot be taken apart per user).
    /// </summary>
    public void Forget(UserSet users)
    {
        ExperimentTracker[] trackers;
        lock (_gate) trackers = _trackers.Values.ToArray();
        if (trackers.Any(t => t.UserIds().Any(users.Contains))) Rebuild();
    }

    void IUserStateHolder.ForgetAll()
    {
        if (Definitions.Count > 0) Rebuild();
    }

    /// <summary>True when any experiment's live tallies hold this user (tests: nothing stays under an old or forgotten pseudonym).</summary>
    public bool Tracks(string user)
    {
        lock (_gate) return _trackers.Values.Any(t => t.Tracks(user));
    }

    /// <summary>Defines and starts an experiment. Throws <see cref="ArgumentException"/> for a bad definition, <see cref="InvalidOperationException"/> while another runs.</summary>
    public ExperimentDefinition Create(string id, IReadOnlyList<VariantConfig> variants, string metric = "click", double baseRate = 0.05)
    {
        if (!IdPattern().IsMatch(id ?? "")) throw new ArgumentException("experiment id: 1–64 letters, digits, '-' or '_'");
        if (variants is null || variants.Count < 2) throw new ArgumentException("an experiment needs at least two variants (the first is the control)");
        foreach (var v in variants)
        {
            if (!IdPattern().IsMatch(v.Name ?? "")) throw new ArgumentException($"variant name '{v.Name}': 1–64 letters, digits, '-' or '_'");
            if (v.DiversityLambda is { } l && !(l >= 0 && l <= 1)) throw new ArgumentException($"variant '{v.Name}': diversity_lambda must be in [0, 1]");
        }
        ParseMetric(metric);
        if (!(baseRate > 0 && baseRate < 1)) throw new ArgumentException("base_rate (the expected rate of the metric, which tunes the sequential test) must be in (0, 1)");
        var experiment = new Experiment(id!, variants.Select(v => new Variant(v.Name, v.Share)).ToArray()); // validates shares and names
        RefreshShared(force: true);
        lock (_gate)
        {
            if (_definitions.Any(d => d.Id == id)) throw new ArgumentException($"an experiment '{id}' already exists");
            if (_definitions.FirstOrDefault(d => d.StoppedAt is null) is { } running) throw new InvalidOperationException($"experiment '{running.Id}' is still running; stop it first");
            var definition = new ExperimentDefinition(id!, variants, metric, baseRate, DateTimeOffset.UtcNow);
            _definitions.Add(definition);
            _trackers[id!] = new ExperimentTracker(experiment, SequentialTestOptions.ForBaseRate(baseRate), ParseMetric(metric));
            Save();
            return definition;
        }
    }

    /// <summary>Stops an experiment (its tallies stay readable); false when unknown.</summary>
    public bool Stop(string id)
    {
        RefreshShared(force: true);
        lock (_gate)
        {
            var i = _definitions.FindIndex(d => d.Id == id);
            if (i < 0) return false;
            if (_definitions[i].StoppedAt is null) { _definitions[i] = _definitions[i] with { StoppedAt = DateTimeOffset.UtcNow }; Save(); }
            return true;
        }
    }

    /// <summary>The analysis of an experiment now (z-test, sequential test, SRM check, verdict); null when unknown.</summary>
    public (ExperimentDefinition Definition, ExperimentReport Report)? Report(string id)
    {
        RefreshShared();
        ExperimentDefinition? d; ExperimentTracker? t;
        lock (_gate) { d = _definitions.FirstOrDefault(x => x.Id == id); _trackers.TryGetValue(id, out t); }
        if (d is null || t is null) return null;
        return (d, ExperimentAnalysis.Analyze((_shared ? Replay(d) : t).Snapshot()));
    }

    /// <summary>
    /// Rebuilds every experiment's tallies from the store: after a user is forgotten, their exposures
    /// and feedback are gone from the store, and from here on from the live reports too.
    /// </summary>
    public void Rebuild()
    {
        var rebuilt = Definitions.Select(d => (d.Id, Tracker: Replay(d))).ToArray();
        lock (_gate) foreach (var (id, tracker) in rebuilt) _trackers[id] = tracker;
    }

    private static ExperimentTracker NewTracker(ExperimentDefinition d) =>
        new(new Experiment(d.Id, d.Variants.Select(v => new Variant(v.Name, v.Share)).ToArray()), SequentialTestOptions.ForBaseRate(d.BaseRate), ParseMetric(d.Metric));

    private ExperimentTracker Replay(ExperimentDefinition d)
    {
        var tracker = NewTracker(d);
        foreach (var entry in _log.ExperimentLog(d.Id + ":"))
        {
            if (entry.Kind is not { } kind) tracker.Expose(entry.User);
            else if (ToExperimentEvent(kind) is { } e) tracker.Record(entry.User, e, e == ExperimentEvent.Purchase ? Math.Max(0, entry.Value) : 0);
        }
        return tracker;
    }

    private void Save() => _settings.PutState(StateKey, JsonSerializer.SerializeToUtf8Bytes(_definitions, WireJson.Options));

    private static ExperimentEvent? ToExperimentEvent(EventKind kind) => kind switch
    {
        EventKind.Impression => ExperimentEvent.Impression,
        EventKind.Click => ExperimentEvent.Click,
        EventKind.AddToCart => ExperimentEvent.AddToCart,
        EventKind.Purchase => ExperimentEvent.Purchase,
        _ => null,
    };

    private static ExperimentMetric ParseMetric(string metric) => metric switch
    {
        "click" => ExperimentMetric.Click,
        "add_to_cart" => ExperimentMetric.AddToCart,
        "purchase" => ExperimentMetric.Purchase,
        _ => throw new ArgumentException($"metric must be click, add_to_cart or purchase (got '{metric}')"),
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();
}
