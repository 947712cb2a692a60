using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Numerics;
using Merx.Numerics.Layers;

namespace Merx.Models.Sequential;

public sealed partial class SasRec
{
    /// <summary>
    /// Trains with full-softmax cross-entropy over the catalog on every next-item position of
    /// every training sequence (padding never computed), AdamW, gradient clipping, and early stopping
    /// on validation NDCG@10 (full ranking); the best parameters are kept. With
    /// <see cref="FitOptions.Privacy"/>, trains with user-level DP-SGD instead (SasRec.Private.cs).
    /// </summary>
    public void Fit(TrainingData data, FitOptions fit)
    {
        PrivacySpent = null;
        if (fit.Privacy is { } dp) { FitPrivate(data, fit, dp); return; }
        var o = AllocateState(data, Options.Resolve(data.Train));
        CountTrainingItems(data.Train);
        var clock = Stopwatch.StartNew();
        // Unset, validation uses every case unless that means more than 5e9 scores per check (a 1M-item catalog: 5,000 users).
        var validationUsers = o.ValidationUsers > 0 ? o.ValidationUsers : (int)Math.Min(int.MaxValue, 5_000_000_000L / Math.Max(1, data.ItemCount));
        var validation = ValidationSample(data.Validation, validationUsers, fit.Seed);
        var refit = o.RefitWithValidation && validation.Count > 0;
        var epochSeconds = new List<double>();
        EpochSeconds = epochSeconds;
        // Phase 1: select the epoch count on validation (early stopping), within part of the budget when a refit follows.
        var selectBudget = refit && fit.TimeBudget is { } total ? total * 0.6 : fit.TimeBudget;
        RunEpochs(data.Train, validation, Math.Min(o.MaxEpochs, fit.MaxEpochs ?? int.MaxValue), selectBudget, fit, clock, epochSeconds, Name);
        MedianEpochSeconds = epochSeconds.Order().ElementAt(epochSeconds.Count / 2);
        if (!refit || BestEpoch == 0) return;
        // Phase 2: the same recipe from scratch on training + validation items, for the selected number of epochs.
        var left = fit.TimeBudget is { } t ? (t - clock.Elapsed).TotalSeconds : double.PositiveInfinity;
        if (left < 1.1 * BestEpoch * MedianEpochSeconds)
        {
            fit.Progress?.Report($"sasrec: no time left to refit on validation items ({left:F0} s); keeping the selected model");
            return;
        }
        var selected = (float[])_params.Clone();
        var bestEpoch = BestEpoch; var bestNdcg = BestValidationNdcg; var epochs = EpochsRun;
        foreach (var c in data.Validation) foreach (var target in c.Targets) _trained[target] = true;
        RunEpochs(WithTargets(data.Train, data.Validation), [], bestEpoch, null, fit, clock, epochSeconds, Name + " refit");
        if (_params.Any(float.IsNaN)) selected.CopyTo(_params, 0);
        (BestEpoch, BestValidationNdcg, EpochsRun) = (bestEpoch, bestNdcg, epochs + bestEpoch);
        ComputeRepresentations(_params, _reps);
    }

    /// <summary>
    /// Trains from a fresh initialization for up to <paramref name="maxEpochs"/>; with validation
    /// cases, checks NDCG@10 every EvalEvery epochs, stops after Patience checks without
    /// improvement and leaves the best parameters in place.
    /// </summary>
    private void RunEpochs(Merx.Core.Data.UserSequences train, IReadOnlyList<EvalCase> validation, int maxEpochs, TimeSpan? budget,
        FitOptions fit, Stopwatch clock, List<double> epochSeconds, string label)
    {
        var o = Options; var l = Layout;
        l.Initialize(_params, fit.Seed);
        var users = Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) >= 2).ToArray();
        if (users.Length == 0) throw new InvalidOperationException("no training sequence has two or more items");
        var step = new StepBuffers(this, fit.Seed);
        var best = (float[])_params.Clone();
        var rng = new Random(fit.Seed);
        var start = clock.Elapsed;
        var lengths = new int[o.BatchSize];
        var batchUsers = new int[o.BatchSize];
        BestValidationNdcg = double.NegativeInfinity;
        BestEpoch = 0;
        var sinceBest = 0;
        for (var epoch = 1; epoch <= maxEpochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            rng.Shuffle(users);
            double lossSum = 0; long tokenSum = 0;
            for (var b0 = 0; b0 < users.Length; b0 += o.BatchSize)
            {
                fit.Cancellation.ThrowIfCancellationRequested();
                // The budget also ends an epoch part-way: on a large catalog one epoch can take longer than the whole budget.
                if (budget is { } cut && b0 > 0 && clock.Elapsed - start > cut) { fit.Progress?.Report($"{label}: time budget reached in epoch {epoch} after {b0:N0} of {users.Length:N0} sequences"); break; }
                var count = Math.Min(o.BatchSize, users.Length - b0);
                for (var k = 0; k < count; k++) { batchUsers[k] = users[b0 + k]; lengths[k] = train.LengthOf(users[b0 + k]); }
                Pack(step.Net, l.T, lengths.AsSpan(0, count), k => train.Items.AsMemory(train.Offsets[batchUsers[k]], lengths[k]), withTargets: true);
                lossSum += TrainStep(step);
                tokenSum += step.Net.Tokens;
            }
            EpochsRun = epoch;
            epochSeconds.Add(epochClock.Elapsed.TotalSeconds);
            var used = clock.Elapsed - start;
            var overBudget = budget is { } b && used > b;
            var line = $"{label}: epoch {epoch} loss {lossSum / Math.Max(1, tokenSum):F4} {users.Length / epochSeconds[^1]:F0} seq/s {epochSeconds[^1]:F1} s/epoch";
            if (validation.Count > 0 && (epoch % o.EvalEvery == 0 || epoch == maxEpochs || overBudget))
            {
                ComputeRepresentations(_params, _reps);
                var ndcg = ValidationMetric.Ndcg(validation, l.Items, ScoreForValidation(validation), 10);
                line += $" val NDCG@10 {ndcg:F4}";
                if (ndcg > BestValidationNdcg) { BestValidationNdcg = ndcg; BestEpoch = epoch; _params.CopyTo(best, 0); sinceBest = 0; }
                else if (++sinceBest >= o.Patience) { fit.Progress?.Report(line + " (early stop)"); break; }
            }
            var remaining = budget is { } tb ? tb - used : TimeSpan.FromSeconds(epochSeconds[^1] * (maxEpochs - epoch));
            fit.Progress?.Report(line + $" elapsed {clock.Elapsed.TotalSeconds:F0} s, ETA ≤ {Math.Max(0, remaining.TotalSeconds):F0} s");
            if (overBudget) break;
        }
        if (validation.Count > 0) best.CopyTo(_params, 0);
        ComputeRepresentations(_params, _reps);
    }

    /// <summary>Each user's training sequence with their validation target(s) appended (the items that come next in time).</summary>
    private static Merx.Core.Data.UserSequences WithTargets(Merx.Core.Data.UserSequences train, IReadOnlyList<EvalCase> validation)
    {
        var lists = new List<int>[train.UserCount];
        for (var u = 0; u < train.UserCount; u++) lists[u] = [.. train.ItemsOf(u)];
        foreach (var c in validation) lists[c.User].AddRange(c.Targets);
        return Merx.Core.Data.UserSequences.FromLists(lists, train.ItemCount);
    }

    /// <summary>Median wall seconds of a training epoch in the last fit.</summary>
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
        return resolved;
    }

    /// <summary>Marks the items seen in training and counts their occurrences (cold-item handling at query time).</summary>
    private void CountTrainingItems(Merx.Core.Data.UserSequences train)
    {
        foreach (var item in train.Items) { _trained[item] = true; _popularity[item]++; }
    }

    public double MedianEpochSeconds { get; private set; }

    /// <summary>Wall seconds of every training epoch of the last fit, in order (selection and refit phases).</summary>
    public IReadOnlyList<double> EpochSeconds { get; private set; } = [];

    /// <summary>Floats in one chunk of logits rows (see <see cref="StepBuffers.ChunkRows"/>).</summary>
    internal static int LogitsChunkFloats { get; set; } = 2_000_000;

    /// <summary>Everything a training step writes into, allocated once per fit.</summary>
    internal sealed class StepBuffers
    {
        public StepBuffers(SasRec model, int seed)
        {
            var l = model.Layout; var o = model.Options;
            var maxTokens = o.BatchSize * l.T;
            Net = new SasRecNetwork(l, o.Heads, maxTokens, o.BatchSize, (ulong)seed * 0x9E3779B97F4A7C15UL + 1);
            Grads = new float[l.Total];
            DReps = new float[l.Items * l.D];
            // About 8 MB of logits per chunk: the block stays in the last-level cache between its
            // product, its softmax and the two backward products instead of streaming through memory.
            ChunkRows = Math.Clamp(LogitsChunkFloats / Math.Max(1, l.Items) / 6 * 6, 6, Math.Max(6, maxTokens));
            Logits = new float[ChunkRows * l.Items];
            RepsT = new float[l.D * l.Items];
            IdOff = new bool[l.Items];
            _idRng = (ulong)seed * 0xA24BAED4963EE407UL + 3;
            Optimizer = new AdamW(l.Total, o.LearningRate, 0.9f, 0.98f, 1e-8f, o.WeightDecay) { DecayFrom = l.EmbeddingEnd };
            if (o.SampledNegatives > 0)
            {
                Negatives = new int[o.SampledNegatives];
                SampledScratch = new float[o.SampledNegatives * l.D * 2 + maxTokens * o.SampledNegatives];
                (ProposalCumulative, LogQ) = Proposal(model._popularity, l.Items);
                _rng = (ulong)seed * 0xD1B54A32D192ED03UL + 7;
            }
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
                _rng ^= _rng << 13; _rng ^= _rng >> 7; _rng ^= _rng << 17;
                var k = Array.BinarySearch(ProposalCumulative, (_rng >> 11) * (1.0 / (1UL << 53)) * total);
                Negatives[j] = Math.Min(k < 0 ? ~k : k, ProposalCumulative.Length - 1);
            }
        }

        /// <summary>q(i) ∝ (count(i) + 1)^0.75, the usual smoothed unigram proposal.</summary>
        private static (double[] Cumulative, float[] LogQ) Proposal(int[] popularity, int items)
        {
            var weights = new double[items];
            for (var i = 0; i < items; i++) weights[i] = Math.Pow(popularity[i] + 1, 0.75);
            var total = weights.Sum();
            var cumulative = new double[items];
            var logQ = new float[items];
            var run = 0.0;
            for (var i = 0; i < items; i++) { run += weights[i]; cumulative[i] = run; logQ[i] = (float)Math.Log(weights[i] / total); }
            return (cumulative, logQ);
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
                _idRng ^= _idRng << 13; _idRng ^= _idRng >> 7; _idRng ^= _idRng << 17;
                IdOff[i] = _idRng < threshold && featOffsets[i + 1] > featOffsets[i];
            }
            return IdOff;
        }

        private ulong _idRng;
        public bool[] IdOff { get; }      // (Items) this step's id-dropout marks

        public SasRecNetwork Net { get; }
        public float[] Grads { get; }     // (Total) one flat gradient, same layout as the parameters
        public float[] DReps { get; }     // (Items, D)
        public float[] Logits { get; }    // (ChunkRows, Items)
        public float[] RepsT { get; }     // (D, Items) this step's item representations transposed, so the logits product packs rows by plain copies
        public int ChunkRows { get; }
        public AdamW Optimizer { get; }
    }

    /// <summary>Bytes allocated by one training step after two warm-up steps (the test of "a step allocates nothing").</summary>
    internal long MeasureStepAllocations(TrainingData data)
    {
        var step = new StepBuffers(this, 1);
        var users = Enumerable.Range(0, data.Train.UserCount).Where(u => data.Train.LengthOf(u) >= 2).Take(Options.BatchSize).ToArray();
        var lengths = users.Select(data.Train.LengthOf).ToArray();
        Pack(step.Net, Layout.T, lengths, k => data.Train.Items.AsMemory(data.Train.Offsets[users[k]], lengths[k]), withTargets: true);
        for (var i = 0; i < 40; i++) TrainStep(step); // let tiered compilation settle
        var before = GC.GetAllocatedBytesForCurrentThread();
        TrainStep(step);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>
    /// One optimizer step on the packed batch in the buffers' network; returns the summed loss. Allocates nothing.
    /// With <paramref name="applyUpdate"/> false it stops at the clipped gradient in <c>s.Grads</c> (federated local optimizers apply their own step).
    /// </summary>
    internal double TrainStep(StepBuffers s, bool applyUpdate = true)
    {
        var l = Layout; var d = l.D;
        var net = s.Net; var grads = s.Grads; var dReps = s.DReps; var logits = s.Logits; var chunkRows = s.ChunkRows; var optimizer = s.Optimizer;
        var n = net.Tokens;
        var idOff = s.DrawIdDropout(Options.IdDropout, _featOffsets);
        ComputeRepresentations(_params, _reps, idOff);
        net.Forward(_params, _reps, Options.Dropout, training: true);
        Array.Clear(grads);
        Array.Clear(dReps);
        double loss = 0;
        var scale = 1f / n;
        if (Options.SampledNegatives > 0)
        {
            s.DrawNegatives();
            loss = SampledSoftmax.ForwardBackward(net.Hf, _reps, net.Targets.AsSpan(0, n), s.Negatives, s.LogQ, net.DH, dReps, s.SampledScratch, n, d, scale);
        }
        else
        {
            Transpose(_reps, s.RepsT, l.Items, d);
            for (var r0 = 0; r0 < n; r0 += chunkRows)
            {
                var rows = Math.Min(chunkRows, n - r0);
                var h = net.Hf.AsSpan(r0 * d, rows * d);
                var z = logits.AsSpan(0, rows * l.Items);
                Gemm.AB(h, s.RepsT, z, rows, d, l.Items);                                // (rows, Items) logits
                loss += SoftmaxCrossEntropy.ForwardBackwardParallel(logits, net.Targets, r0, rows, l.Items, scale, Gemm.MaxDegreeOfParallelism);
                Gemm.AB(z, _reps, net.DH.AsSpan(r0 * d, rows * d), rows, l.Items, d);      // dH = dZ · R
                Gemm.AtB(z, h, dReps, l.Items, rows, d, accumulate: true);               // dR += dZᵀ · H
            }
        }
        net.Backward(_params, grads, dReps);
        BackpropRepresentations(dReps, grads, idOff);
        GradientClipping.ClipGlobalNorm(grads, Options.ClipNorm);
        if (applyUpdate) optimizer.Step(_params, grads);
        return loss;
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

    private static IReadOnlyList<EvalCase> ValidationSample(IReadOnlyList<EvalCase> cases, int max, int seed)
    {
        if (max <= 0 || cases.Count <= max) return cases;
        var rng = new Random(seed + 1);
        return cases.OrderBy(_ => rng.Next()).Take(max).ToArray();
    }
}
