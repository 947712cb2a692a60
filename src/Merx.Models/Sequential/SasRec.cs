using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Numerics;

namespace Merx.Models.Sequential;

/// <summary>
/// The sequential Transformer ("large model", SASRec family): causal self-attention over a
/// user's latest items, pre-LayerNorm blocks, learned positions, output tied to the item
/// representations. An item's representation is its id embedding plus the mean of its
/// side-information embeddings, so an item never seen in training still gets a vector. A user is
/// encoded from their history at request time, so a new event changes the next answer at once.
/// </summary>
public sealed partial class SasRec : IRecommender, Merx.Models.IBatchScorer, IUserEncoder
{
    public const string ModelName = "sasrec";
    /// <summary>The same Transformer without side information (item ids only), for ablations.</summary>
    public const string IdOnlyName = "sasrec-noside";
    /// <summary>The Transformer trained with id-embedding dropout 0.2 (<see cref="SasRecOptions.IdDropout"/>), for cold-start experiments.</summary>
    public const string IdDropoutName = "sasrec-iddrop";
    /// <summary>The Transformer with adversarial training of its item vectors (<see cref="SasRecOptions.AdversarialEpsilon"/> <see cref="DefaultAdversarialEpsilon"/>), a defence against fake profiles.</summary>
    public const string AdversarialName = "sasrec-adv";

    /// <summary>
    /// ε of <see cref="AdversarialName"/>: on Beauty's fake-profile attacks (one epoch, seed 42) 0.2 cut the push 40–89 %
    /// where 0.1 cut 4–45 %, and converged it kept NDCG@10 (0.0674 vs 0.0667) at a narrower catalog coverage
    /// (bench/results/trust-attacks.md); 0.3 and more cost accuracy.
    /// </summary>
    public const float DefaultAdversarialEpsilon = 0.2f;
    /// <summary>The Transformer whose cold-item placement is chosen with new items weighted W times (<see cref="SasRecOptions.NewItemWeight"/>, model name <c>sasrec-new:W</c>).</summary>
    public const string NewItemName = "sasrec-new";
    /// <summary>The Transformer trained with inverse-propensity weights against popularity bias (<see cref="SasRecOptions.PopularityIpw"/> η = 0.5).</summary>
    public const string IpwName = "sasrec-ipw";

    private SasRecLayout? _layout;
    private float[] _params = [];
    private float[] _reps = [];              // (Items, D) item representations for scoring
    private int[] _featOffsets = [0];
    private int[] _featIds = [];
    private static readonly int[] NoFeatures = [0];   // a serving-only model's offsets (never written)
    /// <summary>Item feature ids held (none once read for serving only).</summary>
    internal int FeatureIdsHeld => _featIds.Length;
    // Floats held in the parameters and the float item representations (tests: an int8 serving copy holds no item table in float).
    internal long FloatsHeld => _params.LongLength + (ReferenceEquals(_reps, _params) ? 0 : _reps.LongLength);
    private bool[] _trained = [];            // (Items) whether the item occurs in the training sequences
    private int[] _popularity = [];          // (Items) training occurrences, for the sampled-softmax proposal

    public SasRec(SasRecOptions? options = null)
    {
        Options = options ?? new SasRecOptions();
        Options.Validate();
    }

    public SasRecOptions Options { get; private set; }
    public string Name => !Options.UseSideInformation ? IdOnlyName : Options.IdDropout > 0 ? IdDropoutName : Options.AdversarialEpsilon > 0 ? (Options.AdversarialEpsilon == DefaultAdversarialEpsilon ? AdversarialName : $"{AdversarialName}:{Options.AdversarialEpsilon.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
        : Options.PopularityIpw > 0 ? (Options.PopularityIpw == 0.5f ? IpwName : $"{IpwName}:{Options.PopularityIpw.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
        : Options.NewItemWeight != 1 ? $"{NewItemName}:{Options.NewItemWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : ModelName;
    public int ItemCount => _layout?.Items ?? 0;
    public int EpochsRun { get; private set; }
    public int BestEpoch { get; private set; }
    public double BestValidationNdcg { get; private set; }
    public long ParameterCount => _params.Length;

    private SasRecLayout Layout => _layout ?? throw new InvalidOperationException("the model is not fitted");

    /// <summary>
    /// reps[i] = itemEmb[i] + mean of feature embeddings of item i + text[i]·W (when side information is on).
    /// An item with no training interaction has only its features: its id embedding would have
    /// learned nothing but "not the next item" from the softmax, so it is left out (outside training,
    /// an item with text gets its text-nearest trained items' id embeddings instead: <see cref="ImputeColdIds"/>). In training
    /// with id dropout, the items marked in <paramref name="idOff"/> (only items that have side
    /// information) are represented by their features alone for this step, so that pathway learns
    /// to place an item by itself, as it must for a new item.
    /// </summary>
    /// <param name="training">True inside a training step: untrained items keep a cleared id part (their rows get
    /// no gradient); false (validation, serving, after a fit) fills a cold item's id part by <see cref="ImputeColdIds"/>.</param>
    private void ComputeRepresentations(float[] p, float[] reps, bool[]? idOff = null, bool training = false)
    {
        ThrowIfServingOnly();
        var l = Layout; var d = l.D;
        p.AsSpan(l.ItemEmb, l.Items * d).CopyTo(reps);
        var side = HasSideInformation;
        for (var i = 0; i < l.Items; i++)
            if (side && (!_trained[i] || (idOff is not null && idOff[i]))) reps.AsSpan(i * d, d).Clear();
        if (!side) return;
        if (!training) ImputeColdIds(p, reps);
        if (l.TextDim > 0) TextForward(_text, p.AsSpan(l.TextProj, l.TextDim * d), reps, l.Items, l.TextDim, d);
        for (var i = 0; i < l.Items; i++) AddFeatures(p, i, reps.AsSpan(i * d, d));
    }

    private void BackpropRepresentations(float[] dReps, float[] g, bool[]? idOff = null)
    {
        var l = Layout; var d = l.D;
        var dItem = g.AsSpan(l.ItemEmb, l.Items * d);
        TensorPrimitives.Add(dItem, dReps, dItem);
        if (!HasSideInformation) return;
        if (l.TextDim > 0 && !_textFrozen) TextBackward(_text, dReps, g.AsSpan(l.TextProj, l.TextDim * d), l.Items, l.TextDim, d);
        for (var i = 0; i < l.Items; i++)
            if (!_trained[i] || (idOff is not null && idOff[i])) dItem.Slice(i * d, d).Clear();
        for (var i = 0; i < l.Items; i++) BackpropFeatures(dReps.AsSpan(i * d, d), i, g, 0);
    }

    /// <summary>
    /// The lazy training step's <see cref="ComputeRepresentations"/> for some items: row k of <paramref name="reps"/> is item
    /// items[k]'s training representation (its id part cleared when it is untrained or marked in <paramref name="idOff"/>[k]).
    /// textRows: scratch of items.Length × E floats (the items' text vectors are gathered there).
    /// </summary>
    private void ComputeRepresentationRows(float[] p, ReadOnlySpan<int> items, Span<float> reps, ReadOnlySpan<bool> idOff, float[] textRows)
    {
        var l = Layout; var d = l.D;
        var side = HasSideInformation;
        for (var k = 0; k < items.Length; k++)
        {
            var i = items[k]; var row = reps.Slice(k * d, d);
            if (side && (!_trained[i] || (!idOff.IsEmpty && idOff[k]))) row.Clear();
            else p.AsSpan(l.ItemEmb + i * d, d).CopyTo(row);
        }
        if (!side) return;
        if (l.TextDim > 0)
        {
            for (var k = 0; k < items.Length; k++) _text.AsSpan(items[k] * l.TextDim, l.TextDim).CopyTo(textRows.AsSpan(k * l.TextDim, l.TextDim));
            TextForward(textRows, p.AsSpan(l.TextProj, l.TextDim * d), reps, items.Length, l.TextDim, d);
        }
        for (var k = 0; k < items.Length; k++) AddFeatures(p, items[k], reps.Slice(k * d, d));
    }

    /// <summary>
    /// The lazy step's <see cref="BackpropRepresentations"/>: the rows' gradients flow to the feature embeddings and the text
    /// projection in g (g[0] is parameter <paramref name="gradFrom"/>'s gradient), and each row is then left as the gradient of
    /// its item's id row (cleared where the representation had no id part). textRows: as <see cref="ComputeRepresentationRows"/> left them.
    /// </summary>
    private void BackpropRepresentationRows(Span<float> dReps, ReadOnlySpan<int> items, float[] g, int gradFrom, ReadOnlySpan<bool> idOff, float[] textRows)
    {
        var l = Layout; var d = l.D;
        if (!HasSideInformation) return;
        if (l.TextDim > 0 && !_textFrozen) TextBackward(textRows, dReps, g.AsSpan(l.TextProj - gradFrom, l.TextDim * d), items.Length, l.TextDim, d);
        for (var k = 0; k < items.Length; k++) BackpropFeatures(dReps.Slice(k * d, d), items[k], g, gradFrom);
        for (var k = 0; k < items.Length; k++)
            if (!_trained[items[k]] || (!idOff.IsEmpty && idOff[k])) dReps.Slice(k * d, d).Clear();
    }

    private bool HasSideInformation => Options.UseSideInformation && (Layout.Features > 0 || Layout.TextDim > 0);

    /// <summary>row += the mean of item i's feature embeddings.</summary>
    private void AddFeatures(float[] p, int i, Span<float> row)
    {
        int start = _featOffsets[i], count = _featOffsets[i + 1] - start;
        if (count == 0) return;
        var w = 1f / count; var d = row.Length; var at = Layout.FeatEmb;
        for (var k = 0; k < count; k++) TensorPrimitives.MultiplyAdd(p.AsSpan(at + _featIds[start + k] * d, d), w, row, row);
    }

    /// <summary>Item i's feature embeddings' gradients (in g, whose [0] is parameter gradFrom's) += dRow / (its feature count).</summary>
    private void BackpropFeatures(ReadOnlySpan<float> dRow, int i, float[] g, int gradFrom)
    {
        int start = _featOffsets[i], count = _featOffsets[i + 1] - start;
        if (count == 0) return;
        var w = 1f / count; var d = dRow.Length; var at = Layout.FeatEmb - gradFrom;
        for (var k = 0; k < count; k++)
        {
            var dst = g.AsSpan(at + _featIds[start + k] * d, d);
            TensorPrimitives.MultiplyAdd(dRow, w, dst, dst);
        }
    }

    /// <summary>Loads one packed batch of histories: inputs are the last MaxLength items, positions count back from the end.</summary>
    private static void Pack(SasRecNetwork net, int maxLength, ReadOnlySpan<int> lengths, Func<int, ReadOnlyMemory<int>> sequenceOf, bool withTargets)
    {
        var t = 0;
        net.Offsets[0] = 0;
        for (var b = 0; b < lengths.Length; b++)
        {
            PackSequence(net, maxLength, sequenceOf(b).Span, withTargets, ref t);
            net.Offsets[b + 1] = t;
        }
        net.Sequences = lengths.Length;
    }

    /// <summary>Loads the training sequences of <paramref name="users"/> (inputs and next-item targets) as one packed batch, as <see cref="Pack"/> does. Allocates nothing.</summary>
    private static void PackTraining(SasRecNetwork net, int maxLength, UserSequences train, ReadOnlySpan<int> users)
    {
        var t = 0;
        net.Offsets[0] = 0;
        for (var b = 0; b < users.Length; b++)
        {
            PackSequence(net, maxLength, train.ItemsOf(users[b]), withTargets: true, ref t);
            net.Offsets[b + 1] = t;
        }
        net.Sequences = users.Length;
    }

    /// <summary>Appends one sequence's tokens from position <paramref name="t"/> on (with targets: every item but the last is an input, the next one its target).</summary>
    private static void PackSequence(SasRecNetwork net, int maxLength, ReadOnlySpan<int> seq, bool withTargets, ref int t)
    {
        var inputs = withTargets ? seq.Length - 1 : seq.Length;
        var n = Math.Min(inputs, maxLength);
        var first = inputs - n;
        for (var j = 0; j < n; j++)
        {
            net.Items[t] = seq[first + j];
            net.Positions[t] = maxLength - n + j;
            net.Targets[t] = withTargets ? seq[first + j + 1] : -1;
            t++;
        }
    }

    public int Dimension => Layout.D;

    /// <summary>
    /// (Items, D) item representations (id embedding + side information), the output layer the scores are dot products
    /// with and the inputs the encoder reads: the float representations, or an int8 inference copy's int8 rows.
    /// </summary>
    public VectorTable ItemVectors => _int8Table ?? (_floatTable is { } t && t.Wraps(_reps) ? t : _floatTable = VectorTable.OfFloats(_reps, Layout.Items, Layout.D));
    private VectorTable? _floatTable;

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        var l = Layout;
        if (scores.Length < l.Items) throw new ArgumentException($"scores needs {l.Items} entries", nameof(scores));
        Span<float> h = stackalloc float[l.D];
        EncodeUser(user, history, h);
        if (_int8Table is { } table) table.Dots(h, scores[..l.Items]);
        else Gemm.ABt(h, _reps, scores[..l.Items], 1, l.D, l.Items);
    }

    /// <summary>The Transformer's last hidden state over the user's latest items (at most the model's max length); zeros when none is known.</summary>
    public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector)
    {
        var l = Layout;
        if (vector.Length < l.D) throw new ArgumentException($"vector needs {l.D} entries", nameof(vector));
        var known = new List<int>(Math.Min(history.Length, l.T));
        for (var i = Math.Max(0, history.Length - l.T); i < history.Length; i++)
            if ((uint)history[i] < (uint)l.Items) known.Add(history[i]);
        if (known.Count == 0) { vector[..l.D].Clear(); return; }
        // One inference network per thread and model: serving encodes a user per request, and the
        // network's ~30 activation buffers would otherwise be allocated every time.
        if (t_inferenceOwner != this || t_inferenceNet is null) { t_inferenceNet = new SasRecNetwork(l, Options.Heads, l.T, 1, 1) { Int8 = _int8 }; t_inferenceOwner = this; }
        var net = t_inferenceNet;
        var seq = known.ToArray();
        Pack(net, l.T, [seq.Length], _ => seq, withTargets: false);
        net.ForwardLast(_params, ItemVectors, vector);
    }

    [ThreadStatic] private static SasRec? t_inferenceOwner;
    [ThreadStatic] private static SasRecNetwork? t_inferenceNet;

    public void ScoreBatch(ReadOnlySpan<int> users, IReadOnlyList<int[]> histories, Span<float> scores)
    {
        var l = Layout;
        var chunk = (int)Math.Clamp((32L << 20) / Math.Max(1, l.Items), 1, 256); // at most 32M scores (128 MB) of temporary output
        var net = new SasRecNetwork(l, Options.Heads, chunk * l.T, chunk, 1) { Int8 = _int8 };
        var last = new float[chunk * l.D];
        for (var c0 = 0; c0 < histories.Count; c0 += chunk)
        {
            var count = Math.Min(chunk, histories.Count - c0);
            var seqs = new int[count][];
            for (var b = 0; b < count; b++)
                seqs[b] = histories[c0 + b].Where(i => (uint)i < (uint)l.Items).TakeLast(l.T).ToArray();
            var nonEmpty = Enumerable.Range(0, count).Where(b => seqs[b].Length > 0).ToArray();
            Pack(net, l.T, nonEmpty.Select(b => seqs[b].Length).ToArray(), k => seqs[nonEmpty[k]], withTargets: false);
            if (_int8Table is { } table) net.Forward(_params, table);
            else net.Forward(_params, _reps, 0, training: false);
            for (var k = 0; k < nonEmpty.Length; k++)
                net.Hf.AsSpan((net.Offsets[k + 1] - 1) * l.D, l.D).CopyTo(last.AsSpan(k * l.D, l.D));
            // Scored straight into the caller's rows: the non-empty histories' rows first, then each moved to its place
            // (last first, so no row is overwritten before it moves; nonEmpty[k] >= k) and the empty histories' rows
            // cleared. A temporary (histories × items) array per call was up to 128 MB on the large-object heap each
            // time; evaluating 5,000 users of a 1M-item catalog churned through 20 GB of them and the process peaked at
            // 15.6 GB (bench/results/serving-scale.md, "Training at scale").
            var block = scores.Slice(c0 * l.Items, count * l.Items);
            if (_int8Table is { } rows)
                for (var k = 0; k < nonEmpty.Length; k++) rows.Dots(last.AsSpan(k * l.D, l.D), block.Slice(k * l.Items, l.Items));
            else Gemm.ABt(last.AsSpan(0, nonEmpty.Length * l.D), _reps, block[..(nonEmpty.Length * l.Items)], nonEmpty.Length, l.D, l.Items);
            for (var k = nonEmpty.Length - 1; k >= 0; k--)
            {
                if (nonEmpty[k] == k) break; // rows below k are already in place
                block.Slice(k * l.Items, l.Items).CopyTo(block.Slice(nonEmpty[k] * l.Items, l.Items));
            }
            var next = 0;
            for (var b = 0; b < count; b++)
            {
                if (next < nonEmpty.Length && nonEmpty[next] == b) { next++; continue; }
                block.Slice(b * l.Items, l.Items).Clear();
            }
        }
    }

    public ScoredItem[] SimilarItems(int item, int n)
    {
        var l = Layout;
        if ((uint)item >= (uint)l.Items) throw new ArgumentOutOfRangeException(nameof(item));
        return TopK.CosineNeighbours(ItemVectors, item, n);
    }

    public void Write(BinaryWriter w)
    {
        ThrowIfInt8();
        var l = Layout; var o = Options;
        w.Write(l.TextDim > 0 ? 5 : 1); // payload version: 2 added the text vectors, 3 the cold items' neighbour count, 4 their boost, 5 the untrained items on offer throughout (a model without text writes what it always wrote)
        w.Write(o.Dim); w.Write(o.Blocks); w.Write(o.Heads); w.Write(o.MaxLength); w.Write(o.FfnMultiplier);
        w.Write(o.Dropout); w.Write(o.LearningRate); w.Write(o.WeightDecay); w.Write(o.ClipNorm); w.Write(o.BatchSize);
        w.Write(o.MaxEpochs); w.Write(o.Patience); w.Write(o.EvalEvery); w.Write(o.ValidationUsers); w.Write(o.UseSideInformation); w.Write(o.RefitWithValidation); w.Write(o.SampledNegatives);
        w.Write(l.Items); w.Write(l.Features);
        if (l.TextDim > 0)
        {
            w.Write(l.TextDim); w.Write(_textEncoder ?? "");
            foreach (var v in _text.AsSpan(0, l.Items * l.TextDim)) w.Write(v);
            w.Write(_coldK);
            w.Write(_coldBoost); w.Write(_coldDirection.Length);
            foreach (var v in _coldDirection) w.Write(v);
            var onOffer = Enumerable.Range(0, l.Items).Where(i => !_trained[i] && Established(i)).ToArray();
            WriteInts(w, onOffer);
        }
        w.Write(EpochsRun); w.Write(BestEpoch); w.Write(BestValidationNdcg);
        WriteInts(w, _featOffsets); WriteInts(w, _featIds);
        foreach (var t in _trained) w.Write(t);
        w.Write(_params.Length);
        foreach (var v in _params) w.Write(v);
    }

    public static SasRec Read(BinaryReader r) => Read(r, servingOnly: false);

    /// <summary>
    /// Reads a payload of <see cref="Write"/>. With <paramref name="servingOnly"/> a model that reads no text keeps one
    /// item table instead of two: its item representations are computed in place of the item embeddings they start
    /// from (at 10M items × 64 that is 2.56 GB less). Such a model scores, encodes users and is quantized as the full
    /// one does, and cannot be fitted or saved (the embeddings are gone). A model with text keeps both (a new item's
    /// vector from its text reads its neighbours' embeddings).
    /// </summary>
    public static SasRec Read(BinaryReader r, bool servingOnly)
    {
        var version = r.ReadInt32();
        if (version is not (1 or 2 or 3 or 4 or 5)) throw new InvalidDataException($"sasrec payload version {version} is not supported");
        var o = new SasRecOptions
        {
            Dim = r.ReadInt32(), Blocks = r.ReadInt32(), Heads = r.ReadInt32(), MaxLength = r.ReadInt32(), FfnMultiplier = r.ReadInt32(),
            Dropout = r.ReadSingle(), LearningRate = r.ReadSingle(), WeightDecay = r.ReadSingle(), ClipNorm = r.ReadSingle(), BatchSize = r.ReadInt32(),
            MaxEpochs = r.ReadInt32(), Patience = r.ReadInt32(), EvalEvery = r.ReadInt32(), ValidationUsers = r.ReadInt32(), UseSideInformation = r.ReadBoolean(), RefitWithValidation = r.ReadBoolean(), SampledNegatives = r.ReadInt32(),
        };
        var model = new SasRec(o);
        int items = r.ReadInt32(), features = r.ReadInt32(), textDim = 0;
        if (version >= 2)
        {
            textDim = r.ReadInt32();
            if (textDim <= 0 || items < 0 || (long)items * textDim > Array.MaxLength) throw new InvalidDataException("sasrec payload has an invalid text shape");
            model._textEncoder = r.ReadString();
            model._text = new float[items * textDim];
            for (var i = 0; i < model._text.Length; i++) model._text[i] = r.ReadSingle();
            if (version >= 3) model._coldK = r.ReadInt32() is var k && ColdNeighbourChoices.Contains(k) ? k : throw new InvalidDataException($"sasrec payload has an unknown cold-item neighbour count {k}");
            if (version >= 4)
            {
                model._coldBoost = r.ReadSingle();
                var length = r.ReadInt32();
                if (!float.IsFinite(model._coldBoost) || length != (model._coldBoost == 0 ? 0 : o.Dim)) throw new InvalidDataException("sasrec payload has an invalid cold-item boost");
                model._coldDirection = new float[length];
                for (var i = 0; i < length; i++) model._coldDirection[i] = r.ReadSingle();
            }
            if (version >= 5 && ReadInts(r) is { Length: > 0 } onOffer)
            {
                model._established = new bool[items];
                foreach (var i in onOffer) model._established[(uint)i < (uint)items ? i : throw new InvalidDataException($"sasrec payload names item {i} of {items}")] = true;
            }
        }
        model.EpochsRun = r.ReadInt32(); model.BestEpoch = r.ReadInt32(); model.BestValidationNdcg = r.ReadDouble();
        model._featOffsets = ReadInts(r); model._featIds = ReadInts(r);
        model._trained = new bool[items];
        for (var i = 0; i < items; i++) model._trained[i] = r.ReadBoolean();
        model._layout = new SasRecLayout(o, items, features, textDim);
        var n = r.ReadInt32();
        if (n != model._layout.Total || model._featOffsets.Length != items + 1) throw new InvalidDataException("sasrec payload does not match its declared shape");
        model._params = new float[n];
        for (var i = 0; i < n; i++) model._params[i] = r.ReadSingle();
        var inPlace = servingOnly && textDim == 0;
        // The item table is first in the layout, so the representations can take its place (ComputeRepresentations only adds the feature part).
        model._reps = inPlace ? model._params : new float[items * o.Dim];
        model.ComputeRepresentations(model._params, model._reps);
        model._servingOnly = inPlace;
        // The representations hold the feature part now, and only fitting reads which features an item has: 0.44 GB at 10M items.
        if (inPlace) { model._featOffsets = NoFeatures; model._featIds = []; }
        return model;
    }

    private static void WriteInts(BinaryWriter w, int[] a) { w.Write(a.Length); foreach (var v in a) w.Write(v); }
    private static int[] ReadInts(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException("negative length");
        var a = new int[n];
        for (var i = 0; i < n; i++) a[i] = r.ReadInt32();
        return a;
    }
}
