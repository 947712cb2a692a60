using Merx.Core.Contracts;

namespace Merx.Ranking.Bandits;

/// <summary>
/// The Dynamic policy: decides per request how many slots explore, and aims them.
/// <list type="number">
/// <item>Need to explore, in [0, 1]: w_h·h + w_u·σ̃ + w_b·β, where h = H₀/(H₀ + history length)
/// (new users), σ̃ = σ²/(σ² + σ̄²) with σ² = λ·uᵀA⁻¹u/uᵀu the posterior variance of a linear head
/// over user vectors relative to its prior (users unlike those served so far) and σ̄² its running
/// mean, and β = max(0, 1 − ctr_user/ĝ) the boredom signal (the user's recent clicks falling below
/// the global CTR).</item>
/// <item>Explored share s = clamp(B·c·need/need̄, 0, MaxShare), need̄ the running mean need, B the
/// global budget; c is an integral controller, log c += η·(B − explored share of this request), so
/// the long-run share of explored slots over all requests converges to B whatever the mix of users.
/// The slot count is s·K rounded stochastically.</item>
/// <item>A share of the exploration slots goes to candidates whose category is absent from the
/// user's known categories (interest discovery, at most one per category), the rest to the other
/// non-exploited candidates; both by a Thompson draw from the item's Beta posterior. Exploit slots
/// take the posterior-mean top items. Explored items are spread from slot
/// <see cref="DynamicOptions.FirstExploreSlot"/> down.</item>
/// </list>
/// </summary>
public sealed class DynamicPolicy : ItemArmPolicy
{
    private readonly DynamicOptions _o;
    private readonly LinearHead? _users;
    private readonly int _d;
    private double _logC, _needMean = 0.5, _uncMean = 0.5, _slots, _explored;

    public DynamicPolicy(IUserEncoder? encoder = null, DynamicOptions? options = null, int seed = 42)
        : base(seed, (options ?? new DynamicOptions()).PriorStrength, false)
    {
        _o = options ?? new DynamicOptions();
        _o.Validate();
        _d = encoder?.Dimension ?? 0;
        if (_d > 0) _users = new LinearHead(_d, _o.Lambda);
    }

    public override string Name => "dynamic";
    public DynamicOptions Options => _o;

    /// <summary>Share of all served slots that explored so far.</summary>
    public double ExploredShare { get { lock (Gate) return _slots == 0 ? 0 : _explored / _slots; } }

    /// <summary>The request's need to explore in [0, 1] (before the budget), for explanations and tests.</summary>
    public double Need(BanditRequest request) { lock (Gate) return NeedCore(request); }

    private double NeedCore(BanditRequest request)
    {
        var h = _o.HistoryHalfLife / (_o.HistoryHalfLife + Math.Max(0, request.HistoryLength));
        var unc = 0.5;
        var u = request.UserVector.Span;
        if (_users is not null && u.Length == _d)
        {
            var x = new double[_d]; double norm = 0;
            for (var j = 0; j < _d; j++) { x[j] = u[j]; norm += x[j] * x[j]; }
            if (norm > 0)
            {
                var s2 = _o.Lambda * _users.Variance(x) / norm;
                unc = s2 / (s2 + _uncMean);
                _uncMean = 0.99 * _uncMean + 0.01 * s2;
            }
        }
        var g = Ctr;
        var userCtr = (Math.Max(0, request.RecentClicks) + g * _o.BoredomPrior) / (Math.Max(0, request.RecentImpressions) + _o.BoredomPrior);
        var boredom = Math.Clamp(1 - userCtr / g, 0, 1);
        var w = _o.WeightHistory + _o.WeightUncertainty + _o.WeightBoredom;
        return (_o.WeightHistory * h + _o.WeightUncertainty * unc + _o.WeightBoredom * boredom) / w;
    }

    private protected override SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k)
    {
        var need = NeedCore(request);
        _needMean = 0.99 * _needMean + 0.01 * need;
        var share = Math.Clamp(_o.Budget * Math.Exp(_logC) * need / Math.Max(_needMean, 1e-6), 0, _o.MaxShare);
        var want = share * k;
        var ke = (int)Math.Floor(want + Rng.NextDouble());
        ke = c.Count <= k ? 0 : Math.Min(ke, k);
        _logC = Math.Clamp(_logC + _o.ControllerRate * (_o.Budget - (double)ke / k), -3, 3);
        _slots += k; _explored += ke;

        var (mean, _) = Means(request, c, k);
        var byMean = Order(mean);
        var taken = new bool[c.Count];
        var exploit = new List<int>(k);
        for (var i = 0; i < k - ke; i++) { exploit.Add(byMean[i]); taken[byMean[i]] = true; }
        var explore = ke == 0 ? [] : ChooseExplore(request, c, k, ke, taken);
        return Place(c, mean, exploit, explore, k, share);
    }

    private List<int> ChooseExplore(BanditRequest request, RankedCandidates c, int k, int ke, bool[] taken)
    {
        var sample = new double[c.Count];
        for (var r = 0; r < c.Count; r++)
        {
            if (taken[r]) { sample[r] = double.NegativeInfinity; continue; }
            var (a, b) = Posterior(request, c, r, k);
            sample[r] = Rng.NextBeta(a, b);
        }
        var order = Order(sample);
        var known = request.KnownCategories;
        var discovery = (int)Math.Floor(ke * _o.DiscoveryShare + Rng.NextDouble());
        var picks = new List<int>(ke);
        var cats = new HashSet<int>();
        foreach (var r in order)
        {
            if (picks.Count >= discovery) break;
            if (taken[r]) continue;
            var cat = c.Items[r].Category;
            if (cat < 0 || (known is not null && known.Contains(cat)) || !cats.Add(cat)) continue;
            picks.Add(r); taken[r] = true;
        }
        foreach (var r in order)
        {
            if (picks.Count >= ke) break;
            if (taken[r]) continue;
            picks.Add(r); taken[r] = true;
        }
        return picks;
    }

    private SlateDecision Place(RankedCandidates c, double[] mean, List<int> exploit, List<int> explore, int k, double share)
    {
        var slots = new SlatePick?[k];
        if (explore.Count > 0)
        {
            var first = Math.Min(_o.FirstExploreSlot, k - explore.Count);
            var gap = Math.Max(1, (k - first) / explore.Count);
            var pos = first;
            foreach (var r in explore)
            {
                while (slots[pos] is not null) pos = (pos + 1) % k;
                slots[pos] = c.Pick(r, mean[r], true);
                pos = Math.Min(k - 1, pos + gap);
            }
        }
        var e = 0;
        for (var i = 0; i < k; i++)
            if (slots[i] is null) { var r = exploit[e++]; slots[i] = c.Pick(r, mean[r], false); }
        return new SlateDecision(slots.Select(s => s!.Value).ToArray(), share);
    }

    private protected override void UpdateCore(BanditFeedback f)
    {
        base.UpdateCore(f);
        var u = f.Request.UserVector.Span;
        if (_users is null || f.Slot != 0 || u.Length != _d) return;
        var x = new double[_d];
        for (var j = 0; j < _d; j++) x[j] = u[j];
        _users.Update(x, 0);
    }

    private protected override void WriteState(BinaryWriter w)
    {
        base.WriteState(w);
        w.Write(_logC); w.Write(_needMean); w.Write(_uncMean); w.Write(_slots); w.Write(_explored);
        w.Write(_d);
        _users?.Write(w);
    }

    private protected override void ReadState(BinaryReader r)
    {
        base.ReadState(r);
        _logC = r.ReadDouble(); _needMean = r.ReadDouble(); _uncMean = r.ReadDouble(); _slots = r.ReadDouble(); _explored = r.ReadDouble();
        var d = r.ReadInt32();
        if (d != _d) throw new InvalidDataException($"bandit state has user dimension {d}; this policy has {_d}");
        _users?.Read(r);
    }
}
