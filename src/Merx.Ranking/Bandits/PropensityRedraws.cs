namespace Merx.Ranking.Bandits;

/// <summary>
/// Inverse-propensity estimates of a served slate by geometric redraws, for the policies without a closed
/// form (Thompson sampling, linear TS, Dynamic). Off-policy evaluation weighs slot j by π/μ, so it needs
/// 1/μ, not μ: the policy's frozen distribution (<see cref="SlateSampler"/>) is drawn afresh until the
/// served pick reappears at its slot; the number of draws N_j to the first hit is Geometric(μ_j), and
/// E[N_j] = 1/μ_j exactly, so N_j is an unbiased estimate of the inverse propensity (Var = (1 − μ)/μ²:
/// a rare pick's weight carries noise of its own size, which the per-list intervals of <c>merx ope</c>
/// include). The served draw itself is not counted. Every slot is tracked on the same draws; a slot not hit
/// in <see cref="Cap"/> draws gets N = Cap and is counted in <see cref="Capped"/> (it biases its weight low:
/// E[min(N, cap)] = (1 − (1 − μ)^cap)/μ). The logged propensity is μ̂_j = 1/N_j, whose inverse is the
/// estimate (a μ̂ that is exact only in its inverse).
/// <para>
/// The same draws also count M_j, the draws until the served pick reappears in <em>any</em> slot:
/// Geometric(ρ_j) with ρ_j the pick's presence (<see cref="SlatePick.Presence"/>), logged as 1/M_j. A hit at its
/// slot is also a hit anywhere, so M_j ≤ N_j and this costs no extra draw.
/// </para>
/// <para>
/// Cost: max_j N_j draws, 1/μ for the rarest pick on average. Nothing here touches the policy, so the
/// server runs it in its logging queue, after the answer has gone (<see cref="BanditPolicy.DeferPropensities"/>).
/// </para>
/// </summary>
public sealed class PropensityRedraws
{
    private SlateSampler? _sampler; // released after the run (a frozen linear TS slate holds n·D features)
    private readonly SlatePick[] _served;
    private readonly ulong _seed;
    private readonly PropensityStats? _stats;

    internal PropensityRedraws(SlateSampler sampler, SlatePick[] served, ulong seed, int cap, PropensityStats? stats = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        if (sampler.Slots != served.Length) throw new ArgumentException($"sampler draws {sampler.Slots} slots; the slate has {served.Length}", nameof(served));
        _sampler = sampler; _served = served; _seed = seed; Cap = cap; _stats = stats;
    }

    /// <summary>The most draws made for one slate.</summary>
    public int Cap { get; }

    /// <summary>After <see cref="Apply"/>: the draws made (max over estimated slots of N_j).</summary>
    public int Draws { get; private set; }

    /// <summary>After <see cref="Apply"/>: slots whose pick did not reappear in <see cref="Cap"/> draws.</summary>
    public int Capped { get; private set; }

    /// <summary>After <see cref="Apply"/>: slots whose pick did not reappear in any slot in <see cref="Cap"/> draws (their presence is logged as 1/cap).</summary>
    public int CappedPresences { get; private set; }

    /// <summary>
    /// Runs the redraws (once: a second call throws) and returns the slate with μ̂_j = 1/N_j at each slot whose
    /// propensity was NaN and ρ̂_j = 1/M_j at each slot whose presence was NaN.
    /// </summary>
    public SlateDecision Apply(SlateDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var (n, m) = Run();
        var picks = (SlatePick[])decision.Picks.Clone();
        for (var j = 0; j < picks.Length; j++)
        {
            if (n[j] > 0) picks[j] = picks[j] with { Propensity = 1.0 / n[j] };
            if (m[j] > 0) picks[j] = picks[j] with { Presence = 1.0 / m[j] };
        }
        return decision with { Picks = picks, Pending = null, Redraws = this };
    }

    /// <summary>N_j (draws to the pick at its slot) and M_j (draws to the pick in any slot) per slot; 0 where the value is known.</summary>
    private (long[] AtSlot, long[] Anywhere) Run()
    {
        var k = _served.Length;
        var n = new long[k]; var m = new long[k];
        int open = 0, openAnywhere = 0;
        for (var j = 0; j < k; j++)
        {
            if (double.IsNaN(_served[j].Propensity)) { n[j] = -1; open++; }
            if (double.IsNaN(_served[j].Presence)) { m[j] = -1; openAnywhere++; }
        }
        var sampler = _sampler ?? throw new InvalidOperationException("these redraws have run already");
        _sampler = null;
        var rng = new BanditRng(_seed);
        Span<int> ranks = stackalloc int[k];
        var draws = 0;
        while ((open > 0 || openAnywhere > 0) && draws < Cap)
        {
            sampler.Draw(ref rng, ranks);
            draws++;
            for (var j = 0; j < k; j++)
            {
                if (n[j] < 0 && ranks[j] == _served[j].ExploitRank) { n[j] = draws; open--; }
                if (m[j] < 0 && ranks.Contains(_served[j].ExploitRank)) { m[j] = draws; openAnywhere--; }
            }
        }
        int capped = 0, cappedAnywhere = 0;
        for (var j = 0; j < k; j++)
        {
            if (n[j] < 0) { n[j] = Cap; capped++; }
            if (m[j] < 0) { m[j] = Cap; cappedAnywhere++; }
        }
        Draws = draws; Capped = capped; CappedPresences = cappedAnywhere;
        _stats?.Add(k - CountKnown(), draws, capped);
        return (n, m);
    }

    private int CountKnown() => _served.Count(p => !double.IsNaN(p.Propensity));
}

/// <summary>Running totals of a policy's propensity redraws (thread-safe): lists, estimated slots, draws and capped slots.</summary>
public sealed class PropensityStats
{
    private long _lists, _slots, _draws, _capped, _maxDraws;

    public long Lists => Interlocked.Read(ref _lists);
    public long Slots => Interlocked.Read(ref _slots);
    public long Draws => Interlocked.Read(ref _draws);
    public long CappedSlots => Interlocked.Read(ref _capped);
    public long MaxDraws => Interlocked.Read(ref _maxDraws);

    internal void Add(int slots, int draws, int capped)
    {
        Interlocked.Increment(ref _lists);
        Interlocked.Add(ref _slots, slots);
        Interlocked.Add(ref _draws, draws);
        Interlocked.Add(ref _capped, capped);
        long m;
        while (draws > (m = Interlocked.Read(ref _maxDraws)) && Interlocked.CompareExchange(ref _maxDraws, draws, m) != m) { }
    }

    public override string ToString() =>
        $"{Lists:N0} lists, {Slots:N0} slots estimated, {Draws:N0} draws ({(Lists > 0 ? (double)Draws / Lists : 0):F0} per list, most {MaxDraws:N0}), {CappedSlots:N0} slots capped";
}
