using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Models.Training;
using Merx.Numerics;
using System.Numerics.Tensors;
using Merx.Numerics.Layers;

namespace Merx.Models.Sequential;

public sealed partial class SasRec
{
    /// <summary>
    /// Trains with full-softmax cross-entropy over the catalog on every next-item position of
    /// every training sequence (padding never computed), AdamW, gradient clipping, and early stopping
    /// on validation NDCG@10 (full ranking); the best parameters are kept. The recipe (epochs, batches,
    /// early stopping, the refit on validation items, the time budget) is <see cref="PlainTrainer"/>'s
    /// over this model's <see cref="PlainSurface"/>. With <see cref="FitOptions.Privacy"/>, trains with
    /// user-level DP-SGD instead (SasRec.Private.cs).
    /// </summary>
    public void Fit(TrainingData data, FitOptions fit)
    {
        ThrowIfInt8();
        PrivacySpent = null;
        if (fit.Privacy is { } dp)
        {
            if (Options.AdversarialEpsilon > 0) throw new ArgumentException("adversarial training is not combined with DP-SGD (its per-user clipping would not bound the second pass)");
            if (Options.PopularityIpw > 0) throw new ArgumentException("popularity inverse-propensity weights are not combined with DP-SGD (the weights come from every user's counts, which the privacy accounting does not cover)");
            FitPrivate(data, fit, dp);
            return;
        }
        var o = AllocateState(data, Options.Resolve(data.Train));
        CountTrainingItems(data.Train);
        // The cold items' placement is chosen by the selected model, before the refit trains on the validation targets it is judged on.
        var run = PlainTrainer.Train(new PlainSurface(this), data,
            new PlainRecipe(o.MaxEpochs, o.BatchSize, o.EvalEvery, o.Patience, o.ValidationUsers, o.RefitWithValidation), fit, Name,
            afterSelection: () => SelectColdImputation(data.Validation, fit.Seed, fit.Progress));
        (EpochsRun, BestEpoch, BestValidationNdcg) = (run.EpochsRun, run.BestEpoch, run.BestValidationNdcg);
        (EpochSeconds, MedianEpochSeconds) = (run.EpochSeconds, run.MedianEpochSeconds);
        if (run.Refitted) RefreshColdBoost(data.Validation);
    }

    /// <summary>
    /// The Transformer's plain training surface (<see cref="IMinibatchModel"/>): θ is the model's one parameter
    /// buffer (Total); an example is a user's training sequence with at least two items; a step packs the batch's
    /// sequences and runs <see cref="TrainStep"/> (full or sampled softmax, clipping, AdamW) on fresh
    /// <see cref="StepBuffers"/> per run.
    /// </summary>
    internal sealed class PlainSurface(SasRec model) : IMinibatchModel
    {
        private StepBuffers? _step;
        private Merx.Core.Data.UserSequences? _train;

        public int[] Begin(Merx.Core.Data.UserSequences train, int seed)
        {
            foreach (var item in train.Items) model._trained[item] = true;
            model._coldNeighbours = null;
            model.Layout.Initialize(model._params, seed);
            var users = Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) >= 2).ToArray();
            if (users.Length == 0) throw new InvalidOperationException("no training sequence has two or more items");
            _step = null; // the previous run's buffers (the optimizer's two parameter-sized moments among them) go before the new ones come
            _step = new StepBuffers(model, seed, lazyItemRows: model.LazyItemRows);
            _train = train;
            return users;
        }

        public (double Loss, long Count) Step(ReadOnlySpan<int> examples)
        {
            var s = _step ?? throw new InvalidOperationException("Begin a run first");
            PackTraining(s.Net, model.Layout.T, _train!, examples);
            var loss = model.TrainStep(s);
            return (loss, s.Net.Tokens);
        }

        public double ValidationNdcg(IReadOnlyList<EvalCase> cases)
        {
            Refresh();
            return ValidationMetric.Ndcg(cases, model.Layout.Items, model.ScoreForValidation(cases), 10);
        }

        public Span<float> Parameters => model._params;

        public void Refresh() => model.ComputeRepresentations(model._params, model._reps);
    }

    /// <summary>
    /// Takes the resolved options and allocates the model for this data: side-information tables,
    /// layout, parameters (zero), item representations, and the per-item trained/popularity arrays
    /// (empty; see <see cref="CountTrainingItems"/>). Shared by plain, private and federated training.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_layout))]
    private SasRecOptions AllocateState(TrainingData data, SasRecOptions resolved)
    {
        Options = resolved;
        var features = resolved.UseSideInformation ? data.Features : null;
        _featOffsets = features?.Offsets ?? new int[data.ItemCount + 1];
        _featIds = features?.Ids ?? [];
        _layout = new SasRecLayout(resolved, data.ItemCount, features?.FeatureCount ?? 0, AttachText(data, resolved));
        _params = new float[_layout.Total];
        _reps = new float[_layout.Items * _layout.D];
        _trained = new bool[data.ItemCount];
        _popularity = new int[data.ItemCount];
        _coldNeighbours = null;
        _coldK = ColdNeighbourChoices[0]; _coldBoost = 0; _coldDirection = [];
        return resolved;
    }

    /// <summary>Marks the items seen in training and counts their occurrences (cold-item handling at query time).</summary>
    private void CountTrainingItems(Merx.Core.Data.UserSequences train)
    {
        foreach (var item in train.Items) { _trained[item] = true; _popularity[item]++; }
    }

    /// <summary>Median wall seconds of a training epoch in the last fit (the selection phase's).</summary>
    public double MedianEpochSeconds { get; private set; }

    /// <summary>Wall seconds of every training epoch of the last fit, in order (selection and refit phases).</summary>
    public IReadOnlyList<double> EpochSeconds { get; private set; } = [];

    /// <summary>Whether the plain trainer's steps are lazy (<see cref="SasRecOptions.LazyItemRows"/>): sampled softmax, no adversarial pass.</summary>
    private bool LazyItemRows => Options.LazyItemRows && Options.SampledNegatives > 0 && Options.AdversarialEpsilon == 0;

    /// <summary>Floats in one chunk of logits rows (see <see cref="StepBuffers.ChunkRows"/>).</summary>
    internal static int LogitsChunkFloats { get; set; } = 2_000_000;

    /// <summary>Everything a training step writes into, allocated once per fit.</summary>
    internal sealed class StepBuffers
    {
        /// <param name="lazyItemRows">The lazy step's buffers (<see cref="LazyTrainStep"/>): a gradient without the item table,
        /// and (Rows, D) representations and gradients of the step's own items in place of (Items, D) ones.</param>
        public StepBuffers(SasRec model, int seed, bool lazyItemRows = false)
        {
            var l = model.Layout; var o = model.Options;
            var maxTokens = o.BatchSize * l.T;
            Lazy = lazyItemRows;
            if (Lazy && (o.SampledNegatives == 0 || o.AdversarialEpsilon > 0)) throw new ArgumentException("a lazy step needs sampled softmax and no adversarial pass");
            Net = new SasRecNetwork(l, o.Heads, maxTokens, o.BatchSize, (ulong)seed * 0x9E3779B97F4A7C15UL + 1);
            GradFrom = Lazy ? l.ItemEnd : 0;
            Grads = new float[l.Total - GradFrom];
            // A step's items: its inputs, its targets (every one but each sequence's last is also an input) and its negatives.
            var maxRows = Lazy ? Math.Min(l.Items, maxTokens + o.BatchSize + o.SampledNegatives) : 0;
            DReps = new float[(Lazy ? maxRows : l.Items) * l.D];
            // About 8 MB of logits per chunk: the block stays in the last-level cache between its
            // product, its softmax and the two backward products instead of streaming through memory.
            ChunkRows = Math.Clamp(LogitsChunkFloats / Math.Max(1, l.Items) / 6 * 6, 6, Math.Max(6, maxTokens));
            // Sampled softmax never forms full logits: no chunk, no transpose (at 10M items and D 64, 2.8 GB not held).
            var full = o.SampledNegatives == 0;
            Logits = full ? new float[ChunkRows * l.Items] : [];
            RepsT = full ? new float[l.D * l.Items] : [];
            IdOff = new bool[Lazy ? maxRows : l.Items];
            Masked = model.SoftmaxMasked();
            TargetWeights = o.PopularityIpw > 0 ? InversePropensityWeights(model._popularity, o.PopularityIpw, o.IpwClip) : null;
            _idRng = (ulong)seed * 0xA24BAED4963EE407UL + 3;
            if (o.AdversarialEpsilon > 0) { AdversarialDelta = new float[l.Items * l.D]; AdversarialReps = new float[l.Items * l.D]; }
            Optimizer = new AdamW(l.Total, o.LearningRate, 0.9f, 0.98f, 1e-8f, o.WeightDecay) { DecayFrom = l.EmbeddingEnd };
            if (o.SampledNegatives > 0)
            {
                Negatives = new int[o.SampledNegatives];
                SampledScratch = new float[o.SampledNegatives * l.D * 2 + maxTokens * o.SampledNegatives];
                (ProposalCumulative, LogQ) = Proposal(model._popularity, l.Items, Masked);
                _rng = (ulong)seed * 0xD1B54A32D192ED03UL + 7;
            }
            if (Lazy)
            {
                RowItems = new int[maxRows];
                RowOf = new int[l.Items];
                Array.Fill(RowOf, -1);
                RowReps = new float[maxRows * l.D];
                RowLogQ = new float[maxRows];
                RowWeights = TargetWeights is null ? [] : new float[maxRows];
                RowText = new float[l.TextDim > 0 ? maxRows * l.TextDim : 0];
            }
        }

        /// <summary>Whether this run's steps are lazy (<see cref="SasRecOptions.LazyItemRows"/>).</summary>
        public bool Lazy { get; }
        /// <summary>The parameter whose gradient is <see cref="Grads"/>[0]: 0, or the end of the item table in a lazy step.</summary>
        public int GradFrom { get; }
        public int[] RowItems { get; } = [];    // (Rows) the step's items, in order of first appearance
        /// <summary>The number of rows of the last lazy step.</summary>
        public int Rows { get; private set; }
        public int[] RowOf { get; } = [];       // (Items) an item's row in this step, −1 when it has none (reset after each step)
        public float[] RowReps { get; } = [];   // (Rows, D) their representations
        public float[] RowLogQ { get; } = [];   // (Rows) their log proposal probabilities
        public float[] RowWeights { get; } = [];// (Rows) their inverse-propensity weights (empty: all 1)
        public float[] RowText { get; } = [];   // (Rows, E) their text vectors

        /// <summary>
        /// Renames the packed batch's inputs and targets and the step's negatives to rows 0, 1, … in order of first appearance
        /// (<see cref="RowItems"/> holds the items); returns the number of rows. The loss and network see only rows, so they run
        /// unchanged on (Rows, D) tables.
        /// </summary>
        public int AssignRows()
        {
            var rows = 0;
            var n = Net.Tokens;
            int Row(int item)
            {
                var r = RowOf[item];
                if (r < 0) { r = RowOf[item] = rows; RowItems[rows++] = item; }
                return r;
            }
            for (var t = 0; t < n; t++) { Net.Items[t] = Row(Net.Items[t]); Net.Targets[t] = Row(Net.Targets[t]); }
            for (var j = 0; j < Negatives.Length; j++) Negatives[j] = Row(Negatives[j]);
            return Rows = rows;
        }

        /// <summary>Forgets the step's rows (<see cref="RowOf"/> back to −1 for its items).</summary>
        public void ReleaseRows()
        {
            foreach (var item in RowItems.AsSpan(0, Rows)) RowOf[item] = -1;
        }

        /// <summary>As <see cref="DrawIdDropout"/>, for the step's rows: marks row k's item with probability <paramref name="rate"/> when it has side information.</summary>
        public ReadOnlySpan<bool> DrawRowIdDropout(float rate, int[] featOffsets, int rows)
        {
            if (rate <= 0) return default;
            var threshold = (ulong)(rate * (double)ulong.MaxValue);
            for (var k = 0; k < rows; k++)
            {
                _idRng = XorShift64.Next(_idRng);
                var i = RowItems[k];
                IdOff[k] = _idRng < threshold && featOffsets[i + 1] > featOffsets[i];
            }
            return IdOff.AsSpan(0, rows);
        }

        private ulong _rng;
        public int[] Negatives { get; } = [];            // (S) this step's shared negatives
        public float[] SampledScratch { get; } = [];
        public double[] ProposalCumulative { get; } = [];
        public float[] LogQ { get; } = [];               // (Items) log proposal probability

        /// <summary>Draws the step's negatives from the popularity proposal (with replacement).</summary>
        public void DrawNegatives()
        {
            var total = ProposalCumulative[^1];
            for (var j = 0; j < Negatives.Length; j++)
            {
                _rng = XorShift64.Next(_rng);
                var u = (_rng >> 11) * (1.0 / (1UL << 53)) * total;
                var k = Array.BinarySearch(ProposalCumulative, u);
                if (k < 0) k = ~k;
                else while (k < ProposalCumulative.Length - 1 && ProposalCumulative[k] <= u) k++; // an exact hit belongs to the next bucket with weight > 0
                Negatives[j] = Math.Min(k, ProposalCumulative.Length - 1);
            }
        }

        /// <summary>q(i) ∝ (count(i) + 1)^0.75, the usual smoothed unigram proposal; 0 for the masked items (never drawn).</summary>
        private static (double[] Cumulative, float[] LogQ) Proposal(int[] popularity, int items, int[] masked)
        {
            var weights = new double[items];
            for (var i = 0; i < items; i++) weights[i] = Math.Pow(popularity[i] + 1, 0.75);
            foreach (var i in masked) weights[i] = 0;
            var total = weights.Sum();
            var cumulative = new double[items];
            var logQ = new float[items];
            var run = 0.0;
            for (var i = 0; i < items; i++) { run += weights[i]; cumulative[i] = run; logQ[i] = (float)Math.Log(weights[i] / total); }
            return (cumulative, logQ);
        }

        /// <summary>
        /// Per item, the weight of a training target: count^−η normalised so the count-weighted mean (the mean over the
        /// training targets) is 1, then clipped at <paramref name="clip"/>. Items never seen get weight 0 (they are never targets).
        /// </summary>
        internal static float[] InversePropensityWeights(int[] counts, float eta, float clip)
        {
            var weights = new float[counts.Length];
            double weighted = 0, total = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                if (counts[i] == 0) continue;
                var w = Math.Pow(counts[i], -eta);
                weights[i] = (float)w;
                weighted += counts[i] * w; total += counts[i];
            }
            if (total == 0) return weights;
            var norm = total / weighted;
            for (var i = 0; i < weights.Length; i++) weights[i] = (float)Math.Min(clip, weights[i] * norm);
            return weights;
        }

        /// <summary>
        /// Marks each item that has side information with probability <paramref name="rate"/> for
        /// this step (its id embedding is left out); null when the rate is 0.
        /// </summary>
        public bool[]? DrawIdDropout(float rate, int[] featOffsets)
        {
            if (rate <= 0) return null;
            var threshold = (ulong)(rate * (double)ulong.MaxValue);
            for (var i = 0; i < IdOff.Length; i++)
            {
                _idRng = XorShift64.Next(_idRng);
                IdOff[i] = _idRng < threshold && featOffsets[i + 1] > featOffsets[i];
            }
            return IdOff;
        }

        private ulong _idRng;
        public bool[] IdOff { get; }      // (Items) this step's id-dropout marks; (Rows) in a lazy step
        public int[] Masked { get; }      // items left out of the training softmax (see SasRecOptions.MaskUntrainedItems)
        public float[]? TargetWeights { get; }   // (Items) inverse-propensity weight per target item (SasRecOptions.PopularityIpw); null = all 1

        public SasRecNetwork Net { get; }
        public float[]? AdversarialDelta { get; }      // (Items, D) this step's worst-case perturbation δ
        public float[]? AdversarialReps { get; }       // (Items, D) R + δ
        /// <summary>For gradient checks: a δ to use instead of computing one (the objective with δ held fixed).</summary>
        public float[]? FixedDelta { get; set; }
        public float[] Grads { get; }     // (Total − GradFrom) one flat gradient, the parameters' layout from GradFrom on
        public float[] DReps { get; }     // (Items, D); (Rows, D) in a lazy step
        public float[] Logits { get; }    // (ChunkRows, Items); empty under sampled softmax
        public float[] RepsT { get; }     // (D, Items), empty under sampled softmax: this step's item representations transposed, so the logits product packs rows by plain copies
        public int ChunkRows { get; }
        public AdamW Optimizer { get; }
    }

    /// <summary>
    /// Bytes allocated by one step of the plain trainer's surface (packing the batch and <see cref="TrainStep"/>)
    /// after 40 warm-up steps (the test of "a step allocates nothing"). Starts a fresh run: the parameters are re-initialized.
    /// </summary>
    internal long MeasureStepAllocations(TrainingData data)
    {
        var surface = new PlainSurface(this);
        var users = surface.Begin(data.Train, 1);
        var batch = users.AsSpan(0, Math.Min(Options.BatchSize, users.Length));
        for (var i = 0; i < 40; i++) surface.Step(batch); // let tiered compilation settle
        var before = GC.GetAllocatedBytesForCurrentThread();
        surface.Step(batch);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>For tests: packs <paramref name="users"/>' training sequences into the buffers' network and takes one <see cref="TrainStep"/>.</summary>
    internal double StepForTests(StepBuffers s, Merx.Core.Data.UserSequences train, ReadOnlySpan<int> users)
    {
        PackTraining(s.Net, Layout.T, train, users);
        return TrainStep(s);
    }

    /// <summary>
    /// One optimizer step on the packed batch in the buffers' network; returns the summed loss. Allocates nothing.
    /// With <paramref name="applyUpdate"/> false it stops at the clipped gradient in <c>s.Grads</c> (federated local optimizers apply their own step).
    /// </summary>
    internal double TrainStep(StepBuffers s, bool applyUpdate = true)
    {
        if (s.Lazy) return applyUpdate ? LazyTrainStep(s) : throw new InvalidOperationException("a lazy step always applies its update");
        var l = Layout;
        var grads = s.Grads; var dReps = s.DReps;
        var n = s.Net.Tokens;
        var idOff = s.DrawIdDropout(Options.IdDropout, _featOffsets);
        ComputeRepresentations(_params, _reps, idOff, training: true);
        Array.Clear(grads);
        Array.Clear(dReps);
        if (Options.SampledNegatives > 0) s.DrawNegatives();
        var loss = ForwardBackward(s, _reps, s.LogQ, s.TargetWeights, 1f / n);
        if (Options.AdversarialEpsilon > 0)
        {
            // APR: a second pass on R + δ, δ from the clean gradient (complete in dReps now) and held constant;
            // the perturbed loss's gradients accumulate into the same buffers with weight λ.
            var delta = s.AdversarialDelta!; var perturbed = s.AdversarialReps!;
            if (s.FixedDelta is { } fixedDelta) fixedDelta.CopyTo(delta, 0);
            else AdversarialPerturbation(_reps, dReps, delta, Options.AdversarialEpsilon, l.Items, l.D);
            TensorPrimitives.Add(_reps, delta, perturbed);
            loss += Options.AdversarialWeight * ForwardBackward(s, perturbed, s.LogQ, s.TargetWeights, Options.AdversarialWeight / n);
        }
        BackpropRepresentations(dReps, grads, idOff);
        GradientClipping.ClipGlobalNorm(grads, Options.ClipNorm);
        if (applyUpdate) s.Optimizer.Step(_params, grads);
        return loss;
    }

    /// <summary>
    /// The lazy step (<see cref="SasRecOptions.LazyItemRows"/>): the batch's inputs, targets and the step's negatives are renamed
    /// to rows (<see cref="StepBuffers.AssignRows"/>); only their representations are computed, the loss and network run on those
    /// (Rows, D) tables, the rows' gradients go to their id rows, features and text projection, the global norm is clipped over
    /// the dense gradient and the rows together, and <see cref="AdamW.StepRows"/> moves the dense parameters and those rows.
    /// The full (Items, D) representations are stale until the next <see cref="PlainSurface.Refresh"/>. Allocates nothing.
    /// </summary>
    private double LazyTrainStep(StepBuffers s)
    {
        var l = Layout; var d = l.D;
        var n = s.Net.Tokens;
        s.DrawNegatives();
        var rows = s.AssignRows();
        var items = s.RowItems.AsSpan(0, rows);
        var idOff = s.DrawRowIdDropout(Options.IdDropout, _featOffsets, rows);
        ComputeRepresentationRows(_params, items, s.RowReps, idOff, s.RowText);
        for (var k = 0; k < rows; k++) s.RowLogQ[k] = s.LogQ[items[k]];
        if (s.TargetWeights is { } weights) for (var k = 0; k < rows; k++) s.RowWeights[k] = weights[items[k]];
        Array.Clear(s.Grads);
        var dRows = s.DReps.AsSpan(0, rows * d);
        dRows.Clear();
        var loss = ForwardBackward(s, s.RowReps, s.RowLogQ, s.TargetWeights is null ? null : s.RowWeights, 1f / n);
        BackpropRepresentationRows(dRows, items, s.Grads, s.GradFrom, idOff, s.RowText);
        // The global norm over everything that has a gradient: the dense part and the rows (every other row's is 0).
        GradientClipping.ClipGlobalNorm(s.Grads, dRows, Options.ClipNorm);
        s.Optimizer.StepRows(_params, s.GradFrom, s.Grads, items, dRows, d);
        s.ReleaseRows();
        return loss;
    }

    /// <summary>
    /// Forward over the packed batch with item representations <paramref name="reps"/> (Items, D; a lazy step's (Rows, D)) for
    /// both the input and the tied output layer, the softmax cross-entropy, and the backward pass: the parameters' gradients
    /// accumulate into <c>s.Grads</c>, the representations' into <c>s.DReps</c>, each scaled by <paramref name="scale"/>.
    /// logQ and targetWeights are indexed as reps is. Returns the summed loss.
    /// </summary>
    private double ForwardBackward(StepBuffers s, float[] reps, float[] logQ, float[]? targetWeights, float scale)
    {
        var l = Layout; var d = l.D;
        var net = s.Net; var logits = s.Logits; var chunkRows = s.ChunkRows; var dReps = s.DReps;
        var n = net.Tokens;
        net.Forward(_params, reps, Options.Dropout, training: true);
        double loss = 0;
        if (Options.SampledNegatives > 0)
            loss = SampledSoftmax.ForwardBackward(net.Hf, reps, net.Targets.AsSpan(0, n), s.Negatives, logQ, net.DH, dReps, s.SampledScratch, n, d, scale, targetWeights);
        else
        {
            Transpose(reps, s.RepsT, l.Items, d);
            for (var r0 = 0; r0 < n; r0 += chunkRows)
            {
                var rows = Math.Min(chunkRows, n - r0);
                var h = net.Hf.AsSpan(r0 * d, rows * d);
                var z = logits.AsSpan(0, rows * l.Items);
                Gemm.AB(h, s.RepsT, z, rows, d, l.Items);                                // (rows, Items) logits
                MaskLogits(z, s.Masked, rows, l.Items);
                loss += SoftmaxCrossEntropy.ForwardBackwardParallel(logits, net.Targets, r0, rows, l.Items, scale, Gemm.MaxDegreeOfParallelism, targetWeights);
                Gemm.AB(z, reps, net.DH.AsSpan(r0 * d, rows * d), rows, l.Items, d);       // dH = dZ · R
                Gemm.AtB(z, h, dReps, l.Items, rows, d, accumulate: true);               // dR += dZᵀ · H
            }
        }
        net.Backward(_params, s.Grads, dReps, s.GradFrom);
        return loss;
    }

    /// <summary>
    /// The items left out of the training softmax: those with no training occurrence, when
    /// <see cref="SasRecOptions.MaskUntrainedItems"/> (default: when the model reads text) says so; else none.
    /// </summary>
    private int[] SoftmaxMasked()
    {
        if (!(Options.MaskUntrainedItems ?? Layout.TextDim > 0)) return [];
        return Enumerable.Range(0, Layout.Items).Where(i => !_trained[i]).ToArray();
    }

    /// <summary>z (rows, items): the masked items' logits set to −∞, so their softmax probability and gradient are exactly 0.</summary>
    private static void MaskLogits(Span<float> z, int[] masked, int rows, int items)
    {
        if (masked.Length == 0) return;
        for (var r = 0; r < rows; r++)
        {
            var row = z.Slice(r * items, items);
            foreach (var i in masked) row[i] = float.NegativeInfinity;
        }
    }

    /// <summary>
    /// δ (Items, D): per item, ε·‖rᵢ‖ along the clean gradient gᵢ (zero where gᵢ or rᵢ is zero). The fast gradient method per
    /// row, as APR normalizes per embedding; the share of the row's norm keeps ε meaningful however large the vectors grow.
    /// </summary>
    internal static void AdversarialPerturbation(ReadOnlySpan<float> reps, ReadOnlySpan<float> grads, Span<float> delta, float epsilon, int items, int d)
    {
        for (var i = 0; i < items; i++)
        {
            var g = grads.Slice(i * d, d); var dst = delta.Slice(i * d, d);
            var gNorm = TensorPrimitives.Norm(g);
            var rNorm = TensorPrimitives.Norm(reps.Slice(i * d, d));
            if (gNorm > 0 && float.IsFinite(gNorm)) TensorPrimitives.Multiply(g, epsilon * rNorm / gNorm, dst);
            else dst.Clear();
        }
    }

    /// <summary>dst (cols, rows) = src (rows, cols)ᵀ, in blocks of 64 rows so both sides stay in cache.</summary>
    private static void Transpose(float[] src, float[] dst, int rows, int cols)
    {
        for (var r0 = 0; r0 < rows; r0 += 64)
        {
            var r1 = Math.Min(rows, r0 + 64);
            for (var c = 0; c < cols; c++)
                for (var r = r0; r < r1; r++) dst[c * rows + r] = src[r * cols + c];
        }
    }

    private Action<EvalCase, float[]> ScoreForValidation(IReadOnlyList<EvalCase> cases)
    {
        // Score all validation histories in batches once, then hand rows out in case order.
        var l = Layout;
        var index = new Dictionary<EvalCase, int>(ReferenceEqualityComparer.Instance);
        // At most 512 histories or 64M scores (256 MB) per block: a 1M-item catalog gets 64 histories at a time.
        var chunk = (int)Math.Clamp((64L << 20) / Math.Max(1, l.Items), 1, 512);
        float[]? block = null;
        var blockStart = -1;
        for (var i = 0; i < cases.Count; i++) index[cases[i]] = i;
        return (c, scores) =>
        {
            var i = index[c];
            if (block is null || i < blockStart || i >= blockStart + chunk)
            {
                blockStart = i / chunk * chunk;
                var count = Math.Min(chunk, cases.Count - blockStart);
                block ??= new float[chunk * l.Items];
                var histories = Enumerable.Range(blockStart, count).Select(k => cases[k].Input).ToArray();
                ScoreBatch(new int[count], histories, block.AsSpan(0, count * l.Items));
            }
            block.AsSpan((i - blockStart) * l.Items, l.Items).CopyTo(scores);
        };
    }
}
