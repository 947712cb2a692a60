using System.Runtime.CompilerServices;

namespace Merx.Ranking.Bandits;

/// <summary>
/// The Dynamic policy: a contextual bandit over exploration rules. Its arms are whole policies
/// (greedy, ε-greedy, UCB, Thompson sampling, linear Thompson sampling by default); each request's
/// context picks a cell, and Thompson sampling over the arms' click rates in that cell chooses which
/// rule serves the slate. So it learns, per kind of request, how much and how to explore, and on a
/// data set where one fixed rule is best it converges to that rule without being told which.
/// <list type="bullet">
/// <item>Context (18 cells): history length (&lt; 5, 5–19, 20+ items) × recent reward (no recent
/// feedback; the user's recent click rate at or above the global one; below it) × uncertainty (the
/// posterior variance uᵀA⁻¹u/uᵀu of a ridge head over served user vectors above or below its running
/// mean: users unlike those served so far).</item>
/// <item>Per (context, arm) a Beta posterior over the click rate per served slot, its prior centred on
/// the arm's click rate over all contexts with <see cref="DynamicOptions.ContextPrior"/> slots of
/// weight (contexts borrow strength from each other), evidence capped at
/// <see cref="DynamicOptions.Memory"/> slots.</item>
/// <item>Exploration is credited with what it finds: an item first clicked in an explored slot of
/// arm a, clicked again later in another arm's slate, adds that click (decaying with
/// <see cref="DynamicOptions.DiscoveryHalfLife"/>) to a's cell, so an exploring rule is not judged on
/// its immediate clicks alone while the exploiting ones reap its discoveries.</item>
/// <item>Each arm learns only from the slates it served (<see cref="DynamicOptions.ShareFeedback"/>
/// false, the default), so the meta-policy compares what each rule earns with its own knowledge, as
/// an A/B test of the rules would. When every arm learns from every feedback, the exploiting arms reap
/// what the exploring ones find and look better than they are alone (bench/results/bandits.md:
/// on Taobao, greedy's click rate per slot is the highest of the five inside that mixture, and the
/// lowest when it serves alone).</item>
/// <item>Except the arms of <see cref="DynamicOptions.SharedArms"/> (linear TS by default): a 64-d linear
/// head learning from its own slates alone was starved on the Transformer's vectors (5 % of Beauty's
/// requests, so it earned little, so it got no more), while alone it is the best fixed policy there.
/// It learns from every slate; the meta-policy still counts only the clicks of the slates it served.</item>
/// </list>
/// A budget (<see cref="BanditPolicy.Budget"/>, "dynamic:B") caps the explored slots; the chosen
/// arm then explores within the cap, and the meta-policy learns which rule earns most under it.
/// Feedback is attributed to the arm that served it through the request object (the server and the
/// simulator hand back the request they served).
/// </summary>
public sealed class DynamicPolicy : BanditPolicy
{
    private const int HistoryCells = 3, RecentCells = 3, UncertaintyCells = 2;
    public const int Contexts = HistoryCells * RecentCells * UncertaintyCells;

    private readonly DynamicOptions _o;
    private readonly BanditPolicy[] _arms;
    private readonly string[] _armNames;
    private readonly bool[] _shared;                 // arms that learn from every slate (DynamicOptions.SharedArms)
    private readonly LinearHead? _users;
    private readonly int _d;
    private readonly double[] _shows, _clicks;      // (Contexts × arms)
    private readonly double[] _armShows, _armClicks; // per arm, all contexts
    private readonly double[] _chosen;               // requests served per arm
    private double _uncMean = -1;
    private int _lastContext;
    private readonly ConditionalWeakTable<BanditRequest, Choice> _served = new();
    private readonly Dictionary<int, (int Context, int Arm, double At)> _found = [];

    private sealed record Choice(int Context, int Arm);

    /// <param name="vectors">Item vectors for the linear arms; their dimension also sizes the uncertainty head (null: no vectors, uncertainty cell 0).</param>
    public DynamicPolicy(IItemVectors? vectors = null, DynamicOptions? options = null, int seed = 42) : base(seed)
    {
        _o = options ?? new DynamicOptions();
        _o.Validate();
        _armNames = [.. _o.Arms];
        _arms = new BanditPolicy[_armNames.Length];
        for (var a = 0; a < _arms.Length; a++)
            _arms[a] = BanditPolicies.CreateOver(_armNames[a], vectors, unchecked(seed * 7919 + a + 1)) as BanditPolicy
                ?? throw new ArgumentException($"dynamic arm '{_armNames[a]}' is not a built-in policy");
        _shared = [.. _arms.Select(a => _o.SharedArms.Contains(a.Name))];
        _d = vectors?.Dimension ?? 0;
        if (_d > 0) _users = new LinearHead(_d, _o.Lambda);
        _shows = new double[Contexts * _arms.Length]; _clicks = new double[_shows.Length];
        _armShows = new double[_arms.Length]; _armClicks = new double[_arms.Length]; _chosen = new double[_arms.Length];
    }

    public override string Name => "dynamic";
    public DynamicOptions Options => _o;

    /// <summary>Share of requests each arm served so far, in <see cref="DynamicOptions.Arms"/> order.</summary>
    public IReadOnlyList<(string Arm, double Share)> ArmUse
    {
        get
        {
            lock (Gate)
            {
                var total = Math.Max(1, _chosen.Sum());
                return _armNames.Select((n, a) => (n, _chosen[a] / total)).ToArray();
            }
        }
    }

    /// <summary>The arms' own policies, in <see cref="DynamicOptions.Arms"/> order (tests read what each learned).</summary>
    internal IReadOnlyList<BanditPolicy> ArmPolicies => _arms;

    /// <summary>The context cell of a request (0 … <see cref="Contexts"/> − 1), for explanations and tests.</summary>
    public int ContextOf(BanditRequest request) { lock (Gate) return Context(request); }

    /// <summary>The arm with the highest posterior mean click rate in the request's context (what the policy now believes best there).</summary>
    public string BestArm(BanditRequest request)
    {
        lock (Gate)
        {
            var ctx = Context(request);
            var best = 0; var value = double.NegativeInfinity;
            for (var a = 0; a < _arms.Length; a++)
            {
                var (alpha, beta) = Cell(ctx, a);
                var m = alpha / (alpha + beta);
                if (m > value) { value = m; best = a; }
            }
            return _armNames[best];
        }
    }

    private int Context(BanditRequest r)
    {
        var h = r.HistoryLength < 5 ? 0 : r.HistoryLength < 20 ? 1 : 2;
        var recent = r.RecentImpressions < 1 ? 0 : Math.Max(0, r.RecentClicks) / r.RecentImpressions >= Ctr ? 1 : 2;
        var unc = 0;
        var s2 = UserVariance(r);
        if (s2 >= 0 && _uncMean >= 0) unc = s2 > _uncMean ? 1 : 0;
        return (h * RecentCells + recent) * UncertaintyCells + unc;
    }

    /// <summary>λ·uᵀA⁻¹u/uᵀu of the request's user vector, or −1 without one.</summary>
    private double UserVariance(BanditRequest r)
    {
        var u = r.UserVector.Span;
        if (_users is null || u.Length != _d) return -1;
        Span<double> x = stackalloc double[_d];
        double norm = 0;
        for (var j = 0; j < _d; j++) { x[j] = u[j]; norm += x[j] * x[j]; }
        return norm > 0 ? _o.Lambda * _users.Variance(x) / norm : -1;
    }

    /// <summary>Beta posterior of arm <paramref name="a"/>'s click rate per slot in context <paramref name="ctx"/>.</summary>
    private (double Alpha, double Beta) Cell(int ctx, int a)
    {
        const double globalPrior = 20;
        var mu = (_armClicks[a] + Ctr * globalPrior) / (_armShows[a] + globalPrior);
        var i = ctx * _arms.Length + a;
        return (_o.ContextPrior * mu + _clicks[i], _o.ContextPrior * (1 - mu) + _shows[i] - _clicks[i]);
    }

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var ctx = _lastContext = Context(request);
        var s2 = UserVariance(request);
        if (s2 >= 0) _uncMean = _uncMean < 0 ? s2 : 0.99 * _uncMean + 0.01 * s2;
        var arm = ChooseArm(ctx);
        _chosen[arm]++;
        _served.AddOrUpdate(request, new Choice(ctx, arm));
        return Unconditional(_arms[arm].SelectFor(request, c, k, maxExplore));
    }

    /// <summary>The arm choice in the request's context cell and every arm's own distribution, frozen (the arms' states change with later feedback).</summary>
    private protected override SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        var alpha = new double[_arms.Length]; var beta = new double[_arms.Length]; var arms = new SlateSampler[_arms.Length];
        for (var a = 0; a < _arms.Length; a++)
        {
            (alpha[a], beta[a]) = Cell(_lastContext, a);
            arms[a] = _arms[a].FreezeFor(request, c, k, maxExplore);
        }
        return new MixtureSampler(alpha, beta, arms);
    }

    /// <summary>Thompson sampling over the arms' click rates in context <paramref name="ctx"/>.</summary>
    private int ChooseArm(int ctx)
    {
        var arm = 0; var best = double.NegativeInfinity;
        for (var a = 0; a < _arms.Length; a++)
        {
            var (alpha, beta) = Cell(ctx, a);
            var draw = _arms.Length == 1 ? 0 : Rng.NextBeta(alpha, beta);
            if (draw > best) { best = draw; arm = a; }
        }
        return arm;
    }

    /// <summary>The arm's picks with its propensities cleared: they hold given the arm, and the arm itself was drawn (<see cref="BanditPolicy.PropensityDraws"/> redraws estimate the whole).</summary>
    private SlateDecision Unconditional(SlateDecision d) =>
        _arms.Length == 1 ? d : d with { Picks = [.. d.Picks.Select(p => p with { Propensity = double.NaN, Presence = double.NaN })] };

    private protected override void UpdateCore(BanditFeedback f)
    {
        var served = _served.TryGetValue(f.Request, out var choice) ? choice : null; // null: served before a restart
        if (served is not null && !_o.ShareFeedback)
        {
            for (var a = 0; a < _arms.Length; a++)
                if (a == served.Arm || _shared[a]) _arms[a].Update(f);
        }
        else foreach (var a in _arms) a.Update(f);
        if (served is not null)
        {
            var i = served.Context * _arms.Length + served.Arm;
            _shows[i]++; if (f.Clicked) _clicks[i]++;
            if (_shows[i] > _o.Memory) { var s = _o.Memory / _shows[i]; _shows[i] *= s; _clicks[i] *= s; }
            _armShows[served.Arm]++; if (f.Clicked) _armClicks[served.Arm]++;
            var m = _o.Memory * Contexts;
            if (_armShows[served.Arm] > m) { var s = m / _armShows[served.Arm]; _armShows[served.Arm] *= s; _armClicks[served.Arm] *= s; }
            if (f.Clicked && _o.DiscoveryHalfLife > 0) Credit(f, served);
        }
        var u = f.Request.UserVector.Span;
        if (_users is null || f.Slot != 0 || u.Length != _d) return;
        Span<double> x = stackalloc double[_d];
        for (var j = 0; j < _d; j++) x[j] = u[j];
        _users.Update(x, 0);
    }

    /// <summary>Records a discovery (a click in an explored slot) or credits the discoverer of a later click served by another arm.</summary>
    private void Credit(BanditFeedback f, Choice choice)
    {
        if (_found.TryGetValue(f.Item, out var d))
        {
            if (d.Arm == choice.Arm) return;
            var w = Math.Pow(0.5, (TotalShows - d.At) / _o.DiscoveryHalfLife);
            _clicks[d.Context * _arms.Length + d.Arm] += w;
            _armClicks[d.Arm] += w;
        }
        else if (f.Explored) _found[f.Item] = (choice.Context, choice.Arm, TotalShows);
    }

    private protected override void WriteState(BinaryWriter w)
    {
        w.Write(_arms.Length);
        for (var a = 0; a < _arms.Length; a++)
        {
            w.Write(_armNames[a]);
            var bytes = _arms[a].SaveState();
            w.Write(bytes.Length); w.Write(bytes);
        }
        foreach (var v in _shows) w.Write(v);
        foreach (var v in _clicks) w.Write(v);
        for (var a = 0; a < _arms.Length; a++) { w.Write(_armShows[a]); w.Write(_armClicks[a]); w.Write(_chosen[a]); }
        w.Write(_uncMean);
        w.Write(_found.Count);
        foreach (var (item, (ctx, arm, at)) in _found.OrderBy(x => x.Key)) { w.Write(item); w.Write(ctx); w.Write(arm); w.Write(at); }
        w.Write(_d);
        _users?.Write(w);
    }

    private protected override void ReadState(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n != _arms.Length) throw new InvalidDataException($"bandit state has {n} dynamic arms; this policy has {_arms.Length}");
        for (var a = 0; a < n; a++)
        {
            var name = r.ReadString();
            if (name != _armNames[a]) throw new InvalidDataException($"bandit state's dynamic arm {a} is '{name}'; this policy's is '{_armNames[a]}'");
            var len = r.ReadInt32();
            if (len < 0) throw new InvalidDataException("bandit state: negative arm state length");
            _arms[a].LoadState(r.ReadBytes(len));
        }
        for (var i = 0; i < _shows.Length; i++) _shows[i] = r.ReadDouble();
        for (var i = 0; i < _clicks.Length; i++) _clicks[i] = r.ReadDouble();
        for (var a = 0; a < _arms.Length; a++) { _armShows[a] = r.ReadDouble(); _armClicks[a] = r.ReadDouble(); _chosen[a] = r.ReadDouble(); }
        _uncMean = r.ReadDouble();
        _found.Clear();
        var found = r.ReadInt32();
        if (found < 0) throw new InvalidDataException("bandit state: negative discovery count");
        for (var i = 0; i < found; i++)
        {
            var item = r.ReadInt32(); var ctx = r.ReadInt32(); var arm = r.ReadInt32(); var at = r.ReadDouble();
            if (ctx is < 0 or >= Contexts || arm < 0 || arm >= _arms.Length) throw new InvalidDataException("bandit state: discovery names no cell");
            _found[item] = (ctx, arm, at);
        }
        var d = r.ReadInt32();
        if (d != _d) throw new InvalidDataException($"bandit state has user dimension {d}; this policy has {_d}");
        _users?.Read(r);
    }
}
