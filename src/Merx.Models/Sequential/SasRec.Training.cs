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
        AttachArrivals(data);
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
