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

    /// <summary>The encoder of the text vectors the model was trained with, or null when it reads none.</summary>
    public string? TextEncoder => _textEncoder;

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
        return true;
    }

    /// <summary>
    /// The neighbour counts <see cref="SelectColdNeighbours"/> chooses among (fixed before any measurement); the first,
    /// 10, is the count used when no validation case can decide.
    /// </summary>
    public static readonly int[] ColdNeighbourChoices = [10, 3, 1];

    /// <summary>How many text-nearest trained items a cold item's id embedding is imputed from (chosen on validation at the end of a fit).</summary>
    public int ColdNeighbours => _coldK;
    private int _coldK = 10;

    /// <summary>The last fit's pseudo-cold validation NDCG@10 per <see cref="ColdNeighbourChoices"/> entry (empty when nothing was chosen).</summary>
    public IReadOnlyList<double> ColdNeighbourNdcg { get; private set; } = [];

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
                var t = _text.AsSpan(i * l.TextDim, l.TextDim);
                if (TensorPrimitives.MaxMagnitude(t) == 0) continue; // no text: nothing to place it by
                built[i] = TextNeighbours(t, sims);
            }
            _coldNeighbours = built;
        }
        for (var i = 0; i < l.Items; i++)
            if (_coldNeighbours[i] is { } neighbours) AddImputedId(p, neighbours, _coldK, reps.AsSpan(i * d, d));
    }

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
    /// (at most the largest of <see cref="ColdNeighbourChoices"/>), best first, leaving out <paramref name="except"/>.
    /// <paramref name="sims"/> (Items) is scratch. Costs one cosine per item (Items × E).
    /// </summary>
    private ScoredItem[] TextNeighbours(ReadOnlySpan<float> text, float[] sims, int except = -1)
    {
        var l = Layout; var e = l.TextDim;
        var norm = TensorPrimitives.Norm(text);
        for (var j = 0; j < l.Items; j++)
        {
            if (!_trained[j] || norm == 0 || j == except) { sims[j] = float.NegativeInfinity; continue; }
            var row = _text.AsSpan(j * e, e);
            var rowNorm = TensorPrimitives.Norm(row);
            var cos = rowNorm == 0 ? 0 : TensorPrimitives.Dot(text, row) / (norm * rowNorm);
            sims[j] = cos > 0 ? cos : float.NegativeInfinity;
        }
        return TopK.Select(sims.AsSpan(0, l.Items), ColdNeighbourChoices.Max());
    }

    /// <summary>
    /// Chooses <see cref="ColdNeighbours"/> on validation, never on test: each validation case whose target is a trained
    /// item with text (the first 2,000 such cases, fewer for a large catalog) is scored as if that target were cold — its id embedding
    /// replaced by the imputation from its text-nearest other trained items, its text and attribute parts kept — and
    /// ranked against every other item (the case's history left out); the count with the highest NDCG@10 of these
    /// pseudo-cold targets wins (ties keep the earlier of <see cref="ColdNeighbourChoices"/>). No usable case: 10.
    /// </summary>
    private void SelectColdNeighbours(IReadOnlyList<Merx.Core.Splits.EvalCase> validation, IProgress<string>? progress)
    {
        var l = Layout; var d = l.D;
        _coldK = ColdNeighbourChoices[0];
        ColdNeighbourNdcg = [];
        if (l.TextDim == 0 || !Options.UseSideInformation) return;
        ComputeRepresentations(_params, _reps);
        var sims = new float[l.Items];
        var scores = new float[l.Items];
        var h = new float[d];
        var pseudo = new float[d];
        var gains = new double[ColdNeighbourChoices.Length];
        var used = 0;
        var most = (int)Math.Clamp(4e9 / ((double)l.Items * (l.TextDim + d)), 100, 2000); // a large catalog gets fewer cases (each costs Items × (E + D))
        foreach (var c in validation)
        {
            if (used == most) break;
            if (c.Targets.Length != 1 || c.Targets[0] is var t && ((uint)t >= (uint)l.Items || !_trained[t])) continue;
            var text = _text.AsSpan(t * l.TextDim, l.TextDim);
            if (TensorPrimitives.MaxMagnitude(text) == 0) continue;
            var neighbours = TextNeighbours(text, sims, except: t);
            if (neighbours.Length == 0) continue;
            EncodeUser(c.User, c.Input, h);
            Gemm.ABt(h, _reps, scores, 1, d, l.Items);
            foreach (var i in c.Input) if ((uint)i < (uint)l.Items) scores[i] = float.NegativeInfinity;
            for (var k = 0; k < ColdNeighbourChoices.Length; k++)
            {
                _reps.AsSpan(t * d, d).CopyTo(pseudo);
                TensorPrimitives.Subtract(pseudo, _params.AsSpan(l.ItemEmb + t * d, d), pseudo);   // its own id embedding out
                AddImputedId(_params, neighbours, ColdNeighbourChoices[k], pseudo);               // the imputed one in
                var s = TensorPrimitives.Dot(h, pseudo);
                var rank = 0;
                for (var i = 0; i < l.Items && rank < 10; i++) if (i != t && scores[i] > s) rank++;
                if (rank < 10) gains[k] += 1 / Math.Log2(rank + 2);
            }
            used++;
        }
        if (used == 0) return;
        ColdNeighbourNdcg = gains.Select(g => g / used).ToArray();
        var best = 0;
        for (var k = 1; k < gains.Length; k++) if (gains[k] > gains[best]) best = k;
        _coldK = ColdNeighbourChoices[best];
        ComputeRepresentations(_params, _reps);
        progress?.Report($"{Name}: cold items' id embeddings imputed from the {_coldK} text-nearest trained items (chosen on {used:N0} pseudo-cold validation cases; NDCG@10 "
            + string.Join(", ", ColdNeighbourChoices.Select((k, i) => $"k={k} {gains[i] / used:F4}")) + ")");
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
}
