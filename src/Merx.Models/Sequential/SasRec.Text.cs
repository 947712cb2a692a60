using Merx.Core.Contracts;
using Merx.Numerics;
using System.Numerics.Tensors;

namespace Merx.Models.Sequential;

/// <summary>
/// Item text vectors as side information: a learned projection W (E, D) maps an item's pre-trained
/// text vector t (E, unit length; zero when the item has no text) into the item space, and t·W is
/// added to the item's representation beside its id and attribute embeddings. A new item with text
/// but no interactions is placed by t·W alone, in the space the trained items live in. With no text
/// (Beauty, or <see cref="SasRecOptions.UseSideInformation"/> off) E is 0: no parameter, no
/// arithmetic and no random draw is added, so training is bit-identical to a model without text.
/// </summary>
public sealed partial class SasRec : IColdItemEncoder
{
    private float[] _text = [];             // (Items, E) text vectors, zero rows for items without text
    private string? _textEncoder;
    private bool _textFrozen;               // private training: W stays at its seeded initial value (see FitPrivate)
    private bool[] _established = [];       // (Items) on offer throughout the training data (not a new arrival); empty: none known

    /// <summary>The encoder of the text vectors the model was trained with, or null when it reads none.</summary>
    public string? TextEncoder => _textEncoder;

    /// <summary>
    /// Marks the items known to have been on offer throughout the training data: those outside
    /// <see cref="TrainingData.NewArrivals"/> when the data says which items are new. An untrained one of them was there and
    /// nobody took it: it is placed by its text like any untrained item, but never boosted as a new one.
    /// </summary>
    private void AttachArrivals(TrainingData data) =>
        _established = Layout.TextDim > 0 && data.NewArrivals is { } arrivals ? Enumerable.Range(0, data.ItemCount).Select(i => !arrivals.Contains(i)).ToArray() : [];

    /// <summary>Whether item <paramref name="i"/> is known to have been on offer throughout the training data.</summary>
    private bool Established(int i) => _established.Length != 0 && _established[i];

    /// <summary>Takes the training data's text vectors when side information is on and some item has text; returns E (0 = none).</summary>
    private int AttachText(TrainingData data, SasRecOptions resolved)
    {
        _text = []; _textEncoder = null; _textFrozen = false;
        if (!resolved.UseSideInformation || data.Text is not { PresentCount: > 0 } text) return 0;
        if (text.ItemCount != data.ItemCount) throw new ArgumentException($"text vectors cover {text.ItemCount} items, the data has {data.ItemCount}");
        _text = text.Values;
        _textEncoder = text.EncoderId;
        return text.Dimension;
    }

    /// <summary>
    /// A new item's vector from its text: t·W (D) plus the id embedding imputed from its text-nearest trained
    /// items (<see cref="ImputeColdIds"/>): what an untrained item with this text is given in evaluation, so serving
    /// and evaluation agree (its attribute embeddings are left out: the model keeps no vocabulary of attribute
    /// values, so a new value has no embedding). Costs one cosine per trained item (Items × E).
    /// </summary>
    public bool ItemVectorFromText(ReadOnlySpan<float> text, Span<float> vector)
    {
        var l = Layout;
        if (l.TextDim == 0 || !Options.UseSideInformation) return false;
        if (text.Length != l.TextDim) throw new ArgumentException($"the text vector must have {l.TextDim} entries", nameof(text));
        if (vector.Length < l.D) throw new ArgumentException($"vector needs {l.D} entries", nameof(vector));
        Gemm.AB(text, _params.AsSpan(l.TextProj, l.TextDim * l.D), vector[..l.D], 1, l.TextDim, l.D);
        AddImputedId(_params, TextNeighbours(text, new float[l.Items]), _coldK, vector[..l.D]);
        if (TensorPrimitives.MaxMagnitude(text) != 0) AddColdBoost(vector[..l.D]);
        return true;
    }

    /// <summary>
    /// The neighbour counts <see cref="SelectColdImputation"/> chooses among (fixed before any measurement); the first,
    /// 10, is the count used when no validation case can decide.
    /// </summary>
    public static readonly int[] ColdNeighbourChoices = [10, 3, 1];

    /// <summary>How many text-nearest trained items a cold item's id embedding is imputed from (chosen on validation at the end of a fit).</summary>
    public int ColdNeighbours => _coldK;
    private int _coldK = 10;

    /// <summary>Per untrained item with text: its text-nearest trained items (item, cosine), best first; built lazily, reset when the trained set changes.</summary>
    private ScoredItem[]?[]? _coldNeighbours;

    /// <summary>
    /// Embedding imputation for cold items: an item that never occurs in training has no learned id embedding (its
    /// row is cleared), while every trained item's score carries one, and that part holds the popularity and
    /// co-occurrence signal that decides a full ranking; so a cold item with text gets, in its id part, the mean id
    /// embedding of the <see cref="ColdNeighbours"/> trained items whose text vectors are nearest to its own (cosine),
    /// weighted by that cosine (only positive ones; weights sum to 1). Text projection and attributes are added as
    /// before. Outside training steps only (the rows are masked out of the softmax there). Post-processing of the
    /// fitted embeddings and public text: no privacy cost in a private fit.
    /// </summary>
    private void ImputeColdIds(float[] p, float[] reps)
    {
        var l = Layout; var d = l.D;
        if (l.TextDim == 0) return;
        if (_coldNeighbours is null)
        {
            var built = new ScoredItem[]?[l.Items];
            var sims = new float[l.Items];
            for (var i = 0; i < l.Items; i++)
            {
                if (_trained[i]) continue;
                if (!HasText(i)) continue; // no text: nothing to place it by
                built[i] = TextNeighbours(_text.AsSpan(i * l.TextDim, l.TextDim), sims);
            }
            _coldNeighbours = built;
        }
        for (var i = 0; i < l.Items; i++)
            if (_coldNeighbours[i] is { } neighbours)
            {
                AddImputedId(p, neighbours, _coldK, reps.AsSpan(i * d, d));
                if (!Established(i)) AddColdBoost(reps.AsSpan(i * d, d));   // only a new arrival is lifted
            }
    }

    /// <summary>Whether item <paramref name="i"/> has a text vector (a zero row means none).</summary>
    private bool HasText(int i) => TensorPrimitives.MaxMagnitude(_text.AsSpan(i * Layout.TextDim, Layout.TextDim)) != 0;

    /// <summary>row (D) += Σ wⱼ·idⱼ over the first <paramref name="k"/> <paramref name="neighbours"/>, wⱼ = their cosine as a share of the sum.</summary>
    private void AddImputedId(float[] p, ReadOnlySpan<ScoredItem> neighbours, int k, Span<float> row)
    {
        var l = Layout;
        var take = neighbours[..Math.Min(k, neighbours.Length)];
        var total = 0.0;
        foreach (var n in take) total += n.Score;
        foreach (var n in take) TensorPrimitives.MultiplyAdd(p.AsSpan(l.ItemEmb + n.Item * l.D, l.D), (float)(n.Score / total), row, row);
    }

    /// <summary>
    /// The trained items with text whose text vectors have the highest positive cosine with <paramref name="text"/>
    /// (at most the largest of <see cref="ColdNeighbourChoices"/>), best first, leaving out <paramref name="except"/>;
    /// <paramref name="candidates"/> (Items) narrows the trained items to those it marks.
    /// <paramref name="sims"/> (Items) is scratch. Costs one cosine per item (Items × E).
    /// </summary>
    private ScoredItem[] TextNeighbours(ReadOnlySpan<float> text, float[] sims, int except = -1, bool[]? candidates = null)
    {
        candidates ??= _trained;
        var l = Layout; var e = l.TextDim;
        var norm = TensorPrimitives.Norm(text);
        for (var j = 0; j < l.Items; j++)
        {
            if (!candidates[j] || norm == 0 || j == except) { sims[j] = float.NegativeInfinity; continue; }
            var row = _text.AsSpan(j * e, e);
            var rowNorm = TensorPrimitives.Norm(row);
            var cos = rowNorm == 0 ? 0 : TensorPrimitives.Dot(text, row) / (norm * rowNorm);
            sims[j] = cos > 0 ? cos : float.NegativeInfinity;
        }
        return TopK.Select(sims.AsSpan(0, l.Items), ColdNeighbourChoices.Max());
    }

    /// <summary>
    /// The cold-item boosts <see cref="SelectColdImputation"/> chooses among (fixed before any measurement), in logits of
    /// the average validation user: a cold item's representation gains β·v, where v is the mean validation user state
    /// scaled so that h·v averages 1 over those users. 0 (no boost) first, so it wins ties.
    /// </summary>
    public static readonly float[] ColdBoostChoices = [0, 0.5f, 1, 1.5f, 2, 3, 4, 6];

    /// <summary>The share of the validation cases' distinct targets treated as pseudo-cold when the imputation is chosen (fixed a priori).</summary>
    public const double PseudoColdShare = 0.1;

    /// <summary>The chosen cold-item boost β (logits of the average validation user; 0 = none).</summary>
    public float ColdBoost => _coldBoost;
    private float _coldBoost;
    private float[] _coldDirection = [];    // (D) v: the mean validation user state, scaled so h·v averages 1; empty = no boost

    /// <summary>The last choice's validation NDCG@10 over all its cases, per (k, β): [k index][β index] (empty when nothing was chosen).</summary>
    public IReadOnlyList<double[]> ColdImputationNdcg { get; private set; } = [];

    /// <summary>The same choice's NDCG@10 over its pseudo-cold cases alone, per (k, β) (empty when nothing was chosen).</summary>
    public IReadOnlyList<double[]> PseudoColdNdcg { get; private set; } = [];

    /// <summary>row (D) += β·v: the chosen boost of an item placed by its text.</summary>
    private void AddColdBoost(Span<float> row)
    {
        if (_coldBoost != 0 && _coldDirection.Length == row.Length) TensorPrimitives.MultiplyAdd(_coldDirection, _coldBoost, row, row);
    }

    /// <summary>
    /// Chooses the cold items' neighbour count k (<see cref="ColdNeighbourChoices"/>) and boost β (<see cref="ColdBoostChoices"/>)
    /// on validation, never on test, by simulating what a cold split does: a seeded <see cref="PseudoColdShare"/> of the
    /// validation cases' distinct targets that are trained items with text become pseudo-cold — their id embedding
    /// replaced, in every case, by the imputation from their text-nearest trained items outside that set, plus β·v — beside
    /// the items that really are untrained (imputed the same way). Every usable case (one target, the first 2,000; fewer
    /// for a large catalog) ranks its target against all items outside its history, whether the target is one of the
    /// pseudo-cold items or not, by the harness's own metric (<see cref="ValidationMetric.CaseNdcg"/>: ties count against
    /// the target; a case whose target repeats its history, a miss in every cell, is left out). A pseudo-cold target competes
    /// with the other cold items as placed; a known target with the catalog as it really is, where only the untrained items
    /// are placed and boosted. The (k, β) with the highest NDCG@10 over all of them wins, each pseudo-cold case re-weighted
    /// from the simulation's share of new-item cases to the catalog's own share of new items (<see cref="NewItemShare"/>,
    /// <see cref="PseudoColdWeight"/>) and counted <see cref="SasRecOptions.NewItemWeight"/> times (ties keep the earlier
    /// choice: k = 10, β = 0 first). So at the default weight 1 a boost is kept only where the cold items it lifts into the
    /// lists are worth more than the trained ones it pushes out, at the shop's own mix of targets: a catalog with few new items
    /// does not pay for a boost that a catalog with many would. No usable case: k = 10, no boost. Runs on the model
    /// selected by early stopping, before the refit trains on these validation targets (<see cref="RefreshColdBoost"/>
    /// then moves v into the refit model's space).
    /// </summary>
    private void SelectColdImputation(IReadOnlyList<Merx.Core.Splits.EvalCase> validation, int seed, IProgress<string>? progress)
    {
        var l = Layout; var d = l.D;
        _coldK = ColdNeighbourChoices[0]; _coldBoost = 0; _coldDirection = [];
        ColdImputationNdcg = []; PseudoColdNdcg = [];
        if (l.TextDim == 0 || !Options.UseSideInformation) return;
        _coldNeighbours = null;
        ComputeRepresentations(_params, _reps);
        var cases = ColdChoiceCases(validation, out var repeats);
        if (cases.Length == 0) return;

        // The pseudo-cold items, and every item placed by its text in this simulation.
        var rng = new Random(seed);
        var pseudo = new bool[l.Items];
        foreach (var t in cases.Select(c => c.Targets[0]).Distinct().Order())
            if (rng.NextDouble() < PseudoColdShare && _trained[t] && HasText(t)) pseudo[t] = true;
        var cold = Enumerable.Range(0, l.Items).Where(i => (pseudo[i] || !_trained[i]) && HasText(i)).ToArray();
        var slot = new int[l.Items]; Array.Fill(slot, -1);
        for (var q = 0; q < cold.Length; q++) slot[cold[q]] = q;
        // The placed items that are lifted by β: the pseudo-cold ones and the untrained new arrivals (an untrained item that
        // was on offer throughout is placed, not lifted).
        var lifted = cold.Select(i => pseudo[i] || !Established(i)).ToArray();

        // Side-only rows for the pseudo-cold and untrained items (trained ones: their full representation), then each
        // cold row with its imputed id part for every k, neighbours drawn from the trained items outside the pseudo-cold set.
        var side = new float[l.Items * d];
        ComputeRepresentations(_params, side, idOff: pseudo, training: true);
        var outside = (bool[])_trained.Clone();
        for (var i = 0; i < l.Items; i++) if (pseudo[i]) outside[i] = false;
        var sims = new float[l.Items];
        var coldRows = new float[ColdNeighbourChoices.Length][];
        for (var k = 0; k < ColdNeighbourChoices.Length; k++) coldRows[k] = new float[cold.Length * d];
        for (var q = 0; q < cold.Length; q++)
        {
            var i = cold[q];
            var neighbours = TextNeighbours(_text.AsSpan(i * l.TextDim, l.TextDim), sims, candidates: outside);
            for (var k = 0; k < ColdNeighbourChoices.Length; k++)
            {
                var row = coldRows[k].AsSpan(q * d, d);
                side.AsSpan(i * d, d).CopyTo(row);
                AddImputedId(_params, neighbours, ColdNeighbourChoices[k], row);
            }
        }

        // The users' states, their mean direction v (h·v averages 1), then every case ranked under every (k, β).
        var (hs, direction) = UserStates(cases);
        var boosts = direction is null ? 1 : ColdBoostChoices.Length;

        var knownGains = new double[ColdNeighbourChoices.Length, boosts];   // summed apart, so equal sums compare equal
        var coldGains = new double[ColdNeighbourChoices.Length, boosts];
        var scores = new float[l.Items];
        var coldScores = new float[cold.Length];
        var ownScores = new float[cold.Length];   // a pseudo-cold item as it really is, trained: the competitor of a known target
        var excluded = new bool[l.Items];
        var coldCases = 0;
        for (var c = 0; c < cases.Length; c++)
        {
            var h = hs.AsSpan(c * d, d);
            var t = cases[c].Targets[0];
            Gemm.ABt(h, side, scores, 1, d, l.Items);
            foreach (var i in cases[c].Input) if ((uint)i < (uint)l.Items) excluded[i] = true;
            var g = direction is null ? 0f : TensorPrimitives.Dot(h, direction);
            var targetCold = slot[t] >= 0 && lifted[slot[t]];   // a new-item case
            if (targetCold) coldCases++;
            else
                for (var q = 0; q < cold.Length; q++)
                    if (pseudo[cold[q]]) ownScores[q] = TensorPrimitives.Dot(h, _reps.AsSpan(cold[q] * d, d));
            for (var k = 0; k < ColdNeighbourChoices.Length; k++)
            {
                Gemm.ABt(h, coldRows[k], coldScores, 1, d, cold.Length);
                for (var b = 0; b < boosts; b++)
                {
                    var lift = ColdBoostChoices[b] * g;
                    var target = slot[t] < 0 ? scores[t] : coldScores[slot[t]] + (lifted[slot[t]] ? lift : 0);
                    var rank = 0;
                    for (var i = 0; i < l.Items && rank < 10; i++)
                    {
                        if (i == t || excluded[i]) continue;
                        // A new target competes with the other new items as placed; a known one with the catalog as it is, where
                        // only the really untrained items are placed by their text, and only the new arrivals among them boosted.
                        var s = slot[i] < 0 ? scores[i] : !targetCold && pseudo[i] ? ownScores[slot[i]] : coldScores[slot[i]] + (lifted[slot[i]] ? lift : 0);
                        if (s >= target) rank++;   // ties count against the target, as in the metric
                    }
                    if (rank >= 10) continue;
                    var gain = 1 / Math.Log2(rank + 2);
                    if (targetCold) coldGains[k, b] += gain;
                    else knownGains[k, b] += gain;
                }
            }
            foreach (var i in cases[c].Input) if ((uint)i < (uint)l.Items) excluded[i] = false;
        }

        var w = Options.NewItemWeight;
        var pseudoCount = pseudo.Count(x => x);
        var untrained = lifted.Count(x => x) - pseudoCount;    // the items with text that really are new
        var onOffer = cold.Length - pseudoCount - untrained;   // untrained, but on offer throughout: nobody took them
        var realShare = NewItemShare(untrained, Enumerable.Range(0, l.Items).Count(HasText));
        var weight = PseudoColdWeight(w, realShare, coldCases, cases.Length);
        var (bestK, bestB) = BestColdChoice(knownGains, coldGains, weight);
        var gains = new double[ColdNeighbourChoices.Length, boosts];
        for (var k = 0; k < ColdNeighbourChoices.Length; k++)
            for (var b = 0; b < boosts; b++) gains[k, b] = knownGains[k, b] + coldGains[k, b];
        _coldK = ColdNeighbourChoices[bestK];
        _coldBoost = ColdBoostChoices[bestB];
        _coldDirection = _coldBoost != 0 ? direction! : [];
        ColdImputationNdcg = Enumerable.Range(0, ColdNeighbourChoices.Length).Select(k => Enumerable.Range(0, boosts).Select(b => gains[k, b] / cases.Length).ToArray()).ToArray();
        PseudoColdNdcg = Enumerable.Range(0, ColdNeighbourChoices.Length).Select(k => Enumerable.Range(0, boosts).Select(b => coldCases == 0 ? 0 : coldGains[k, b] / coldCases).ToArray()).ToArray();
        _coldNeighbours = null;
        ComputeRepresentations(_params, _reps);
        progress?.Report($"{Name}: cold items placed by the {_coldK} text-nearest trained items' id embeddings, boost β = {_coldBoost:0.##} (chosen on {cases.Length:N0} validation cases, "
            + $"{coldCases:N0} of them with one of {pseudoCount:N0} pseudo-cold targets beside {untrained:N0} untrained new items with text"
            + (onOffer > 0 ? $" and {onOffer:N0} untrained ones on offer throughout (placed, not boosted)" : "") + "; "
            + $"new items are {realShare:P1} of the items with text, so a pseudo-cold case counts {weight:0.###} ×{(w != 1 ? $" (new items weighted {w:0.##} ×)" : "")}"
            + (repeats > 0 ? $"; {repeats:N0} cases whose target repeats their history left out" : "") + "; "
            + $"NDCG@10 all / pseudo-cold: chosen {gains[bestK, bestB] / cases.Length:F4} / {(coldCases == 0 ? 0 : coldGains[bestK, bestB] / coldCases):F4}, "
            + $"k = 10 without boost {gains[0, 0] / cases.Length:F4} / {(coldCases == 0 ? 0 : coldGains[0, 0] / coldCases):F4}; all cases per β "
            + string.Join(", ", ColdBoostChoices.Take(boosts)) + ": "
            + string.Join("; ", ColdNeighbourChoices.Select((k, i) => $"k={k} " + string.Join(" ", Enumerable.Range(0, boosts).Select(b => $"{gains[i, b] / cases.Length:F4}/{(coldCases == 0 ? 0 : coldGains[i, b] / coldCases):F3}")))) + ")");
    }

    /// <summary>
    /// The validation cases the cold-item choice ranks: one target in the catalog, a history, the first 2,000 (fewer for a
    /// large catalog: each costs Items × (E + D)). A case whose target repeats an item of its history is left out: the
    /// metric leaves the whole history out of the ranking, so it scores 0 in every cell and cannot inform the choice
    /// (<paramref name="repeats"/> counts those met before the cap).
    /// </summary>
    private Merx.Core.Splits.EvalCase[] ColdChoiceCases(IReadOnlyList<Merx.Core.Splits.EvalCase> validation, out int repeats)
    {
        var l = Layout;
        var most = (int)Math.Clamp(4e9 / ((double)l.Items * (l.TextDim + l.D)), 100, 2000);
        var usable = validation.Where(c => c.Targets.Length == 1 && (uint)c.Targets[0] < (uint)l.Items && c.Input.Length > 0);
        var chosen = new List<Merx.Core.Splits.EvalCase>(most);
        repeats = 0;
        foreach (var c in usable)
        {
            if (chosen.Count == most) break;
            if (c.Input.Contains(c.Targets[0])) repeats++;
            else chosen.Add(c);
        }
        return chosen.ToArray();
    }

    /// <summary>The cases' user states (cases × D) and their mean scaled so that h·v averages 1 (null when that mean is not positive).</summary>
    private (float[] States, float[]? Direction) UserStates(Merx.Core.Splits.EvalCase[] cases)
    {
        var d = Layout.D;
        var hs = new float[cases.Length * d];
        for (var c = 0; c < cases.Length; c++) EncodeUser(cases[c].User, cases[c].Input, hs.AsSpan(c * d, d));
        var mean = new float[d];
        for (var c = 0; c < cases.Length; c++) TensorPrimitives.Add(mean, hs.AsSpan(c * d, d), mean);
        TensorPrimitives.Divide(mean, cases.Length, mean);
        var meanDot = 0.0;
        for (var c = 0; c < cases.Length; c++) meanDot += TensorPrimitives.Dot(hs.AsSpan(c * d, d), mean);
        meanDot /= cases.Length;
        return (hs, meanDot > 0 ? mean.Select(x => (float)(x / meanDot)).ToArray() : null);
    }

    /// <summary>
    /// After a refit (a new model from scratch, chosen k and β kept): the boost's direction v recomputed from the final
    /// model's user states on the same validation cases, since v lives in the model's own space.
    /// </summary>
    private void RefreshColdBoost(IReadOnlyList<Merx.Core.Splits.EvalCase> validation)
    {
        if (_coldBoost == 0) return;
        _coldDirection = [];                     // the states are encoded without the old model's boost
        _coldNeighbours = null;
        ComputeRepresentations(_params, _reps);
        var direction = UserStates(ColdChoiceCases(validation, out _)).Direction;
        if (direction is null) _coldBoost = 0;
        _coldDirection = direction ?? [];
        ComputeRepresentations(_params, _reps);
    }

    /// <summary>
    /// The share of new items in the catalog the model is fitted on: items with text that no training sequence holds, among all
    /// items with text (at most 0.9). The choice expects new items among the targets at this share.
    /// </summary>
    internal static double NewItemShare(int untrainedWithText, int withText) => withText == 0 ? 0 : Math.Min(0.9, (double)untrainedWithText / withText);

    /// <summary>
    /// What one pseudo-cold case counts beside a known one: the simulation makes <paramref name="coldCases"/> of
    /// <paramref name="cases"/> new-item cases, where the catalog expects new items at <paramref name="realShare"/>, so the
    /// cases are re-weighted by the ratio of those odds (importance weighting), then by the shop's <paramref name="newItemWeight"/>.
    /// A catalog without new items gives 0: nothing to place, so nothing may cost the known items.
    /// </summary>
    internal static double PseudoColdWeight(double newItemWeight, double realShare, int coldCases, int cases)
    {
        if (coldCases == 0 || coldCases == cases) return newItemWeight;
        var simulated = (double)coldCases / cases;
        return newItemWeight * realShare / (1 - realShare) / (simulated / (1 - simulated));
    }

    /// <summary>
    /// The (k, β) cell with the highest objective: the summed NDCG gains of the known-target cases (<paramref name="knownGains"/>)
    /// plus those of the pseudo-cold cases (<paramref name="coldGains"/>), each counted <paramref name="newItemWeight"/> times;
    /// ties keep the earlier cell (k = 10, β = 0 first).
    /// </summary>
    internal static (int K, int B) BestColdChoice(double[,] knownGains, double[,] coldGains, double newItemWeight)
    {
        double Objective(int k, int b) => knownGains[k, b] + newItemWeight * coldGains[k, b];
        var best = (K: 0, B: 0);
        for (var k = 0; k < knownGains.GetLength(0); k++)
            for (var b = 0; b < knownGains.GetLength(1); b++)
                if (Objective(k, b) > Objective(best.K, best.B)) best = (k, b);
        return best;
    }

    /// <summary>reps (Items, D) += text (Items, E) · W (E, D).</summary>
    private static void TextForward(float[] text, ReadOnlySpan<float> w, Span<float> reps, int items, int e, int d) =>
        Gemm.AB(text.AsSpan(0, items * e), w, reps[..(items * d)], items, e, d, accumulate: true);

    /// <summary>dW (E, D) += textᵀ (E, Items) · dReps (Items, D).</summary>
    private static void TextBackward(float[] text, ReadOnlySpan<float> dReps, Span<float> dW, int items, int e, int d) =>
        Gemm.AtB(text.AsSpan(0, items * e), dReps[..(items * d)], dW, e, items, d, accumulate: true);

    /// <summary>
    /// For gradient checks: the mean next-item cross-entropy of the first <paramref name="users"/>
    /// training users (no dropout, no update, no clipping beyond the model's ClipNorm) and its
    /// gradient in <paramref name="grads"/> (length ParameterCount). Uses the fitted parameters.
    /// </summary>
    /// <param name="fixedDelta">With adversarial training on: the δ to hold fixed (null: computed from the clean gradient).</param>
    /// <param name="deltaOut">With adversarial training on: receives the δ used.</param>
    internal double LossAndGradient(TrainingData data, int users, float[] parameters, float[] grads, float[]? fixedDelta = null, float[]? deltaOut = null)
    {
        var keep = _params;
        _params = parameters;
        try
        {
            var step = new StepBuffers(this, 1) { FixedDelta = fixedDelta };
            var chosen = Enumerable.Range(0, data.Train.UserCount).Where(u => data.Train.LengthOf(u) >= 2).Take(users).ToArray();
            var lengths = chosen.Select(data.Train.LengthOf).ToArray();
            Pack(step.Net, Layout.T, lengths, k => data.Train.Items.AsMemory(data.Train.Offsets[chosen[k]], lengths[k]), withTargets: true);
            var loss = TrainStep(step, applyUpdate: false);
            step.Grads.CopyTo(grads, 0);
            if (deltaOut is not null) step.AdversarialDelta?.CopyTo(deltaOut, 0);
            return loss / step.Net.Tokens;
        }
        finally { _params = keep; }
    }

    /// <summary>The fitted parameters (for gradient checks).</summary>
    internal float[] Parameters => _params;
    internal SasRecLayout LayoutForTests => Layout;
    internal ReadOnlySpan<float> ColdDirectionForTests => _coldDirection;
}
