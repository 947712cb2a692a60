using Merx.Core.Contracts;

namespace Merx.Ranking.Bandits;

/// <summary>
/// Shared machinery of every policy: the lock, the seeded generator, the global click-through rate,
/// the prior every policy puts on an unseen candidate, and the versioned, checksummed state
/// envelope (<see cref="ModelFile"/>'s format, name "bandit:&lt;policy name&gt;").
/// <para>
/// The prior: the exploit model's score orders the candidates; a candidate at exploit rank r (0 =
/// best) in a slate of K is believed to be clicked with probability
/// p₀(r) = 2·ĝ·(K+1)/(K+1+r), where ĝ is the policy's running CTR per impression. So before any
/// feedback every policy serves the exploit model's top K, and an item's own clicks move it from
/// there. Scores on any scale work, since only their order is used.
/// </para>
/// </summary>
public abstract class BanditPolicy : IBanditPolicy
{
    private const int StateVersion = 2;
    private protected readonly object Gate = new();
    private protected BanditRng Rng;
    private protected double TotalShows, TotalClicks;
    private BudgetMeter? _meter;
    private int _draws;

    protected BanditPolicy(int seed) => Rng = BanditRng.FromSeed(seed);

    public abstract string Name { get; }

    /// <summary>
    /// The cap on explored slots per user group (null: the policy explores as much as it likes). When
    /// set, a slate may explore only as many slots as the budget's token bucket allows; the policy
    /// fills the others with its own best estimates, so a capped Thompson sampling is Thompson sampling
    /// whose exploration stops when the budget is spent.
    /// </summary>
    public ExplorationBudget? Budget
    {
        get => _meter?.Budget;
        init { value?.Validate(); _meter = value is null ? null : new BudgetMeter(value); }
    }

    /// <summary>
    /// The most redraws per served slate for the inverse propensities of the policies that have no closed
    /// form (Thompson sampling, linear TS, Dynamic; <see cref="PropensityRedraws"/>): the policy's frozen
    /// distribution is redrawn until each served pick reappears at its slot, and μ̂ = 1/N with N the draws to
    /// that hit (E[N] = 1/μ); a pick not seen again in this many draws gets 1/cap (counted in
    /// <see cref="PropensityStats"/>). 0 (the default) leaves the propensities NaN. Redraws change no state.
    /// </summary>
    public int PropensityDraws
    {
        get { lock (Gate) return _draws; }
        set
        {
            if (value is < 0 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(PropensityDraws), "propensity draws must be in 0 … 1,000,000");
            lock (Gate) _draws = value;
        }
    }

    /// <summary>
    /// When true, <see cref="Select"/> freezes the slate's distribution and returns the redraws in
    /// <see cref="SlateDecision.Pending"/> for the caller to run later (the server's logging queue), leaving the
    /// propensities NaN; when false (the default) they run inside <see cref="Select"/>.
    /// </summary>
    public bool DeferPropensities { get; set; }

    /// <summary>Totals of the redraws made for this policy's slates (lists, draws, capped slots).</summary>
    public PropensityStats PropensityStats { get; } = new();

    /// <summary>The generator's state (tests: a redraw from the state a selection started from reproduces it).</summary>
    internal ulong GeneratorState { get { lock (Gate) return Rng.State; } set { lock (Gate) Rng.State = value; } }

    /// <summary>Running CTR per impression with a 2% prior worth 50 impressions.</summary>
    public double GlobalCtr { get { lock (Gate) return Ctr; } }

    private protected double Ctr => (TotalClicks + 1) / (TotalShows + 50);

    /// <summary>Prior click probability of the candidate at exploit rank <paramref name="rank"/> in a slate of <paramref name="k"/>.</summary>
    private protected double PriorMean(int rank, int k) => Math.Min(0.95, 2 * Ctr * (k + 1) / (k + 1.0 + rank));

    public SlateDecision Select(BanditRequest request, ReadOnlySpan<BanditCandidate> candidates, int k)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Min(k, candidates.Length);
        if (k == 0) return new SlateDecision([], 0);
        var ranked = new RankedCandidates(candidates);
        lock (Gate)
        {
            var allowed = _meter?.Allow(request, k) ?? k;
            var decision = SelectCore(request, ranked, k, allowed);
            _meter?.Spend(request, decision.ExploredCount);
            if (_draws == 0 || request.SkipRedraws || !decision.Picks.Any(p => double.IsNaN(p.Propensity))) return decision;
            // The served slate's distribution, frozen now (later feedback changes the state). The redraws' stream starts
            // at a mixed output of the generator's state (never at a nearby state of the same SplitMix64 sequence, whose
            // draws would repeat the policy's own), without advancing it, so they leave the policy's course unchanged.
            var seed = new BanditRng(Rng.State ^ 0xD1B54A32D192ED03UL).NextULong();
            var redraws = new PropensityRedraws(Freeze(request, ranked, k, allowed), decision.Picks, seed, _draws, PropensityStats);
            return DeferPropensities ? decision with { Pending = redraws } : redraws.Apply(decision);
        }
    }

    /// <summary>
    /// The slate distribution of this request, frozen (<see cref="SlateSampler"/>): a copy of what
    /// <see cref="SelectCore"/> reads of the state, taken under the lock right after the selection.
    /// </summary>
    private protected abstract SlateSampler Freeze(BanditRequest request, RankedCandidates c, int k, int maxExplore);

    /// <summary>As <see cref="Freeze"/> on behalf of the Dynamic policy, under this policy's lock.</summary>
    internal SlateSampler FreezeFor(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        lock (Gate) return Freeze(request, c, k, maxExplore);
    }

    /// <summary>A selection by this policy on behalf of another (the Dynamic policy's arms), under this policy's lock, with at most <paramref name="maxExplore"/> explored slots.</summary>
    internal SlateDecision SelectFor(BanditRequest request, RankedCandidates c, int k, int maxExplore)
    {
        lock (Gate) return SelectCore(request, c, k, maxExplore);
    }

    public void Update(BanditFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        if (feedback.Item < 0) throw new ArgumentOutOfRangeException(nameof(feedback), "feedback names no item");
        lock (Gate)
        {
            TotalShows++;
            if (feedback.Clicked) TotalClicks++;
            UpdateCore(feedback);
        }
    }

    /// <summary>Chooses the slate; at most <paramref name="maxExplore"/> picks may be explored ones.</summary>
    private protected abstract SlateDecision SelectCore(BanditRequest request, RankedCandidates c, int k, int maxExplore);
    private protected abstract void UpdateCore(BanditFeedback feedback);
    private protected abstract void WriteState(BinaryWriter w);
    private protected abstract void ReadState(BinaryReader r);

    public byte[] SaveState()
    {
        using var ms = new MemoryStream();
        lock (Gate)
            ModelFile.Write(ms, "bandit:" + Name, w =>
            {
                w.Write(StateVersion);
                w.Write(Rng.State); w.Write(TotalShows); w.Write(TotalClicks);
                w.Write(_meter is not null);
                _meter?.Write(w);
                WriteState(w);
            });
        return ms.ToArray();
    }

    public void LoadState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var ms = new MemoryStream(state);
        lock (Gate)
            ModelFile.Read(ms, (name, r) =>
            {
                if (name != "bandit:" + Name) throw new InvalidDataException($"bandit state belongs to '{name}', not 'bandit:{Name}'");
                var version = r.ReadInt32();
                if (version != StateVersion) throw new InvalidDataException($"bandit state version {version}; this build reads {StateVersion}");
                Rng.State = r.ReadUInt64(); TotalShows = r.ReadDouble(); TotalClicks = r.ReadDouble();
                if (r.ReadBoolean() != (_meter is not null)) throw new InvalidDataException("bandit state and policy differ in having an exploration budget");
                _meter?.Read(r);
                ReadState(r);
                return true;
            }, "bandit state");
    }

    /// <summary>
    /// Top-<paramref name="k"/> candidates by <paramref name="index"/>, best first; a pick is marked
    /// explored when it is outside the top-k by <paramref name="mean"/> (the policy's best estimate).
    /// Once <paramref name="maxExplore"/> explored picks are taken, further ones are skipped, so the
    /// rest of the slate comes from the mean's top k in index order.
    /// </summary>
    private protected static SlateDecision TopSlate(RankedCandidates c, ReadOnlySpan<double> index, ReadOnlySpan<double> mean, int k, int maxExplore = int.MaxValue, bool deterministic = false)
    {
        var exploit = ExploitSet(mean, k);
        Span<int> ranks = stackalloc int[k];
        var explored = SlateRanks(index, exploit, k, maxExplore, ranks);
        var picks = new SlatePick[k];
        for (var n = 0; n < k; n++) picks[n] = c.Pick(ranks[n], index[ranks[n]], !exploit[ranks[n]], deterministic ? 1 : double.NaN, deterministic ? 1 : double.NaN);
        return new SlateDecision(picks, (double)explored / k);
    }

    /// <summary>Per candidate position: whether it is among the top <paramref name="k"/> by <paramref name="mean"/> (the policy's best estimate).</summary>
    private protected static bool[] ExploitSet(ReadOnlySpan<double> mean, int k)
    {
        var byMean = Order(mean);
        var exploit = new bool[mean.Length];
        for (var i = 0; i < k; i++) exploit[byMean[i]] = true;
        return exploit;
    }

    /// <summary>
    /// <see cref="TopSlate"/>'s rule on positions: the top <paramref name="k"/> by <paramref name="index"/>, at most
    /// <paramref name="maxExplore"/> of them outside <paramref name="exploit"/>, into <paramref name="ranks"/>; returns the explored count.
    /// </summary>
    internal static int SlateRanks(ReadOnlySpan<double> index, bool[] exploit, int k, int maxExplore, Span<int> ranks)
    {
        var byIndex = Order(index);
        int explored = 0, n = 0;
        for (var i = 0; n < k; i++)
        {
            var j = byIndex[i];
            var e = !exploit[j];
            if (e && explored >= maxExplore) continue;
            if (e) explored++;
            ranks[n++] = j;
        }
        return explored;
    }

    /// <summary>Candidate positions sorted by value, largest first; ties keep the exploit order.</summary>
    private protected static int[] Order(ReadOnlySpan<double> values)
    {
        var keys = new double[values.Length]; var idx = new int[values.Length];
        for (var i = 0; i < values.Length; i++) { keys[i] = -values[i]; idx[i] = i; }
        Array.Sort(keys, idx);
        return idx;
    }
}

/// <summary>The request's candidates in exploit order (rank 0 = highest score, NaN last; ties by lower item index).</summary>
public sealed class RankedCandidates
{
    public RankedCandidates(ReadOnlySpan<BanditCandidate> candidates)
    {
        var n = candidates.Length;
        Items = new BanditCandidate[n];
        var keys = new (float, int)[n];
        for (var i = 0; i < n; i++)
        {
            if (candidates[i].Item < 0) throw new ArgumentException($"candidate {i} has a negative item index", nameof(candidates));
            var s = candidates[i].Score;
            keys[i] = (float.IsNaN(s) ? float.PositiveInfinity : -s, candidates[i].Item);
            Items[i] = candidates[i];
        }
        Array.Sort(keys, Items);
    }

    /// <summary>Candidates sorted by exploit score, best first: position = exploit rank.</summary>
    public BanditCandidate[] Items { get; }
    public int Count => Items.Length;

    internal SlatePick Pick(int rank, double value, bool explored, double propensity = double.NaN, double presence = double.NaN) => new(Items[rank].Item, rank, (float)value, explored, Items[rank].Category, propensity, presence);
}
