namespace Merx.Ranking.Bandits;

/// <summary>
/// The Dynamic policy: decides per request how much to explore, and aims it.
/// <list type="number">
/// <item>Need to explore, in [0, 1]: w_h·h + w_u·σ̃ + w_b·β, where h = H₀/(H₀ + history length)
/// (new users), σ̃ = σ²/(σ² + σ̄²) with σ² = λ·uᵀA⁻¹u/uᵀu the posterior variance of a linear head
/// over user vectors relative to its prior (users unlike those served so far) and σ̄² its running
/// mean, and β = max(0, 1 − ctr_user/ĝ) the boredom signal (the user's recent clicks falling below
/// the global CTR).</item>
/// <item>Temperature T = c·need/need̄ (need̄ the running mean need): each candidate's score is a
/// tempered Thompson draw μ + T·(θ̃ − μ) from its item Beta posterior, so T = 0 is greedy, T = 1
/// plain Thompson sampling. Picks outside the posterior-mean top K are the exploration slots (at
/// most MaxShare·K). c is the global budget controller: log c integrates the gap between the budget
/// and each request's explored share, plus a term for the slots owed so far, so the share of
/// explored slots over all requests converges to the budget whatever the mix of users.</item>
/// <item>A share of the exploration slots is moved to the best-drawn candidates of categories absent
/// from the user's known categories (interest discovery, one per category). Exploit picks take the
/// top slots; explored ones are spread from slot <see cref="DynamicOptions.FirstExploreSlot"/> down.</item>
/// </list>
/// </summary>
public sealed class DynamicPolicy : ItemArmPolicy
{
    private readonly DynamicOptions _o;
    private readonly LinearHead? _users;
    private readonly int _d;
    private double _logC, _needMean = 0.5, _uncMean = 0.5, _slots, _explored;

    /// <param name="vectors">The user vectors' space (only its dimension is read); null: no uncertainty term from user vectors.</param>
    public DynamicPolicy(IItemVectors? vectors = null, DynamicOptions? options = null, int seed = 42)
        : base(seed, (options ?? new DynamicOptions()).PriorStrength, false)
    {
        _o = options ?? new DynamicOptions();
        _o.Validate();
        _d = vectors?.Dimension ?? 0;
        if (_d > 0) _users = new LinearHead(_d, _o.Lambda);
        // Start the temperature where the budget points (log 1 = 0 at the simulator's budget of 0.5), so a
        // fresh policy with a small budget does not explore most of its first slates while the controller catches up.
        _logC = Math.Clamp(Math.Log(2 * Math.Max(_o.Budget, 0.01)), -5, 3);
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
        // Exploration temperature: how far this request's draw may stray from the posterior mean.
        // The debt term (slots owed to the budget so far) makes the cumulative share converge to the budget, not just the recent one.
        var debt = Math.Clamp(0.1 * (_o.Budget * _slots - _explored) / k, -3, 3);
        var temperature = Math.Exp(_logC + debt) * need / Math.Max(_needMean, 1e-6);
        var mean = new double[c.Count]; var draw = new double[c.Count];
        for (var r = 0; r < c.Count; r++)
        {
            var (a, b) = Posterior(request, c, r, k);
            mean[r] = a / (a + b);
            draw[r] = mean[r] + temperature * (Rng.NextBeta(a, b) - mean[r]);
        }
        var byMean = Order(mean);
        var inMeanTop = new bool[c.Count];
        for (var i = 0; i < k; i++) inMeanTop[byMean[i]] = true;
        var byDraw = Order(draw);
        var cap = (int)Math.Floor(_o.MaxShare * k + Rng.NextDouble());
        var exploit = new List<int>(k); var explore = new List<int>(k);
        var taken = new bool[c.Count];
        foreach (var r in byDraw)
        {
            if (exploit.Count + explore.Count >= k) break;
            if (inMeanTop[r]) { exploit.Add(r); taken[r] = true; }
            else if (explore.Count < cap) { explore.Add(r); taken[r] = true; }
        }
        for (var i = 0; exploit.Count + explore.Count < k; i++)
            if (!taken[byMean[i]]) { exploit.Add(byMean[i]); taken[byMean[i]] = true; }
        AimAtNewCategories(request, c, draw, explore, taken);
        var ke = explore.Count;
        _logC = Math.Clamp(_logC + _o.ControllerRate * (_o.Budget - (double)ke / k), -5, 3);
        _slots += k; _explored += ke;
        return Place(c, mean, exploit, explore, k, (double)ke / k);
    }

    /// <summary>Moves a share of the exploration slots to the best-drawn candidates of categories the user has not shown (one per category).</summary>
    private void AimAtNewCategories(BanditRequest request, RankedCandidates c, double[] draw, List<int> explore, bool[] taken)
    {
        var n = (int)Math.Floor(explore.Count * _o.DiscoveryShare + Rng.NextDouble());
        if (n == 0) return;
        var known = request.KnownCategories;
        bool Fresh(int r) => c.Items[r].Category >= 0 && (known is null || !known.Contains(c.Items[r].Category));
        var cats = new HashSet<int>();
        foreach (var r in explore) if (Fresh(r)) cats.Add(c.Items[r].Category);
        var have = explore.Count(Fresh);
        var fresh = new List<int>();
        foreach (var r in Order(draw))
        {
            if (have + fresh.Count >= n) break;
            if (taken[r] || !Fresh(r) || !cats.Add(c.Items[r].Category)) continue;
            fresh.Add(r);
        }
        // Replace the worst-drawn non-fresh exploration picks.
        var slot = explore.Count - 1;
        foreach (var r in fresh)
        {
            while (slot >= 0 && Fresh(explore[slot])) slot--;
            if (slot < 0) break;
            taken[explore[slot]] = false;
            explore[slot] = r; taken[r] = true;
            slot--;
        }
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
