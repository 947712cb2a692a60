using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Privacy;
using Merx.Models.Training;
using Merx.Numerics;
using Merx.Numerics.Layers;
using Merx.Privacy.DpSgd;

namespace Merx.Models.Sequential;

/// <summary>
/// User-level DP-SGD for the Transformer: one user's whole training sequence is one example. Each
/// step Poisson-samples users (rate q), computes each sampled user's gradient by a batch-of-one
/// forward/backward (loss = mean cross-entropy over the user's next-item positions), clips it to L2
/// norm C, sums, adds N(0, σ²C²) per coordinate, divides by q·N and takes an AdamW step; the
/// accountant charges every step, and the run ends when the planned steps are done or one more
/// would pass the target ε. That loop is <see cref="DpSgdTrainer"/>'s; this file sets the run up and
/// holds the model's surface (<see cref="DpSurface"/>: the per-step representations, a user's
/// clipped gradient, the AdamW update). Optionally (items with side information, a vocabulary share), a first
/// Gaussian release of item counts (<see cref="DpSgdRun.SelectVocabulary"/>, composed in the same
/// accountant) decides which items keep their own id embedding; the rest are represented by their
/// attributes, whose rows pool the signal of many users. Nothing data-dependent leaks around the mechanisms: no validation-based early
/// stopping or selection (so the validation items train too, as in the non-private refit), the
/// sequence length is 50 unless set, and the sampled-softmax proposal (huge catalogs) is uniform.
/// </summary>
public sealed partial class SasRec : IPrivatelyTrainable
{
    /// <summary>Default per-user clipping norm C. The per-user loss is a mean over positions, so gradients of users of any length share one scale; with Adam the update is invariant to C when most users are clipped.</summary>
    public const float DefaultDpClipNorm = 1f;
    /// <summary>
    /// Default planned passes over the users (a time budget may shorten it). At a fixed ε more passes mean more noise
    /// per step but more steps; on Amazon Beauty at ε = 8, 20 passes beat 10 by 5–14 % NDCG@10 at twice the time.
    /// </summary>
    public const double DefaultDpEpochs = 20;
    /// <summary>
    /// Default share of ε for the id-vocabulary release (<see cref="DpSgdRun.SelectVocabulary"/>) when items have side
    /// information: off. Under user-level DP a rare item's id row is mostly noise, and representing rare items by their
    /// attributes alone helped on Amazon Beauty at ε = 8 with 10 passes (NDCG@10 0.0232 → 0.0254, 1,049 ids kept), made no
    /// difference with 20 passes (0.0265 / 0.0266), and hurt where the release keeps few items (ε = 2: 128 ids, 0.0165 →
    /// 0.0150). Turn it on with <see cref="DpTrainingOptions.VocabularyShare"/> (e.g. 0.1) for short private runs.
    /// </summary>
    public const double DefaultDpVocabularyShare = 0;
    /// <summary>Default learning rate of private training, a multiple of the model's own: a private run takes far fewer (larger, noisier) steps in the same time.</summary>
    public const float DefaultDpLearningRateScale = 10f;

    /// <inheritdoc />
    public PrivacySpent? PrivacySpent { get; private set; }

    /// <summary>Default q (<see cref="DpSgdRun.DefaultRate"/>).</summary>
    public static double DefaultDpRate(int users) => DpSgdRun.DefaultRate(users);

    private void FitPrivate(TrainingData data, FitOptions fit, DpTrainingOptions dp)
    {
        dp.Validate();
        var clock = Stopwatch.StartNew();
        // No selection happens in private training (nothing data-dependent outside the mechanism), so the
        // validation items train too: every user's sequence up to the test item, as the non-private refit does.
        var train = data.Validation.Count > 0 ? ValidationRefit.WithTargets(data.Train, data.Validation) : data.Train;
        var o = Options.MaxLength > 0 ? Options : Options with { MaxLength = 50 };
        AllocateState(data, o.Resolve(train) with { Dropout = 0, IdDropout = 0, RefitWithValidation = false, LearningRate = dp.LearningRate ?? o.LearningRate * DefaultDpLearningRateScale });
        Array.Fill(_trained, true);   // every item keeps its id unless the vocabulary release below says otherwise
        Layout.Initialize(_params, fit.Seed);
        // The catalog's text is public, so items may be represented by it without spending ε; but a learned
        // projection W would be trained on users' data, and its per-user gradient Tᵀ(Oᵤ+Sᵤ) is not in the
        // fused path's exact norm. So W stays at its seeded initial value (a fixed random, Johnson–Lindenstrauss
        // projection of the text vectors): no gradient, no noise, no update; the clipped vector, σ and the
        // accountant are the same as without text.
        _textFrozen = Layout.TextDim > 0;
        var s = NewPrivateBuffers(fit.Seed);
        var fast = Options.SampledNegatives == 0 ? new PrivateBuffers(this, fit.Seed) : null;

        var users = train.UserCount;
        var q = dp.SamplingRate ?? DefaultDpRate(users);
        long? cap = null;
        if (fit.TimeBudget is { } budget)
        {
            var (overhead, perUser) = ProbeStepCost(s, fast, train, Math.Clamp((int)(q * users), 16, 256));
            var left = (budget - clock.Elapsed).TotalSeconds * 0.95;
            cap = Math.Max(1, (long)(left / (overhead + q * users * perUser)));
            fit.Progress?.Report($"{Name} private: about {perUser * 1000:F2} ms per user gradient, {overhead * 1000:F0} ms per step besides; {cap:N0} steps fit in the time budget");
        }
        var side = Layout.Features > 0;
        var run = DpSgdRun.Plan(dp with { SamplingRate = q }, users, _layout.Total, q, DefaultDpClipNorm, DefaultDpEpochs, cap, fit.Seed,
            side ? dp.VocabularyShare ?? DefaultDpVocabularyShare : 0);   // without side information every item needs its id
        fit.Progress?.Report($"{Name} private: {run.Describe()}");
        if (run.VocabularyNoise is not null)
        {
            var keep = run.SelectVocabulary(train, Layout.Items);
            for (var i = 0; i < keep.Length; i++) _trained[i] = keep[i] || _featOffsets[i + 1] == _featOffsets[i];
            fast?.UpdateIdMask(_trained);
            fit.Progress?.Report($"{Name} private: {_trained.Count(t => t):N0} of {Layout.Items:N0} items keep their own id embedding (the rest: side information only)");
        }
        var epochSeconds = new DpSgdTrainer(new DpSurface(this, s, fast, train), run).Run(fit, $"{Name} private", clock);
        PrivacySpent = run.Report();
        EpochsRun = BestEpoch = (int)Math.Ceiling(run.Steps * run.Rate);
        BestValidationNdcg = double.NaN;
        EpochSeconds = epochSeconds;
        MedianEpochSeconds = epochSeconds.Count == 0 ? 0 : epochSeconds.Order().ElementAt(epochSeconds.Count / 2);
        ComputeRepresentations(_params, _reps);
        fit.Progress?.Report($"{Name} private: done, {run.Steps:N0} steps, ε = {PrivacySpent.Epsilon:F4}, δ = {PrivacySpent.Delta:G4}, {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>Step buffers for one sequence at a time (the optimizer gets the model's learning rate).</summary>
    private StepBuffers NewPrivateBuffers(int seed)
    {
        var saved = Options;
        Options = saved with { BatchSize = 1 };
        try { return new StepBuffers(this, seed); }
        finally { Options = saved; }
    }

    /// <summary>
    /// The Transformer's DP-SGD surface (<see cref="IPerUserGradients"/>): θ is the model's one parameter
    /// buffer (Total); a step first computes the item representations every user shares; a user's gradient
    /// is a batch-of-one forward/backward of their mean next-item cross-entropy, clipped to C; with the full
    /// softmax (<paramref name="fused"/> not null) the step's users go through the fused path instead
    /// (<see cref="AddFusedClippedSum"/>: exact per-user norms, no per-user dense gradient); the update is AdamW.
    /// </summary>
    private sealed class DpSurface(SasRec model, StepBuffers s, PrivateBuffers? fused, UserSequences train) : IPerUserGradients
    {
        private bool[]? _idOff;   // (Items) this step's id dropout; null = none

        public int ParameterCount => model.Layout.Total;

        public void BeginStep() => _idOff = model.BeginPrivateStep(s);

        public (double Loss, float Scale)? AddClippedGradient(int user, float clip, float[] sum)
        {
            if (train.LengthOf(user) < 2) return null; // no next-item position: a zero gradient
            var loss = model.UserGradient(s, train.ItemsOf(user), _idOff) / Math.Min(train.LengthOf(user) - 1, model.Layout.T);
            return (loss, ClipAndAccumulate.Forward(s.Grads, sum, clip));
        }

        public ClippedSum AddClippedGradients(ReadOnlySpan<int> users, float clip, float[] sum) =>
            fused is null ? IPerUserGradients.EachUser(this, users, clip, sum) : model.AddFusedClippedSum(s, fused, train, users, clip, sum);

        public void ApplyUpdate(float[] gradient)
        {
            if (!model._textFrozen) { s.Optimizer.Step(model._params, gradient); return; }
            var w = model._params.AsSpan(model.Layout.TextProj, model.Layout.TextDim * model.Layout.D);
            var keep = w.ToArray();          // the noise lands there too, and weight decay would shrink it: W is put back
            s.Optimizer.Step(model._params, gradient);
            keep.CopyTo(w);
        }
    }

    /// <summary>The per-step part shared by every user: this step's item representations (and their transpose or negatives).</summary>
    private bool[]? BeginPrivateStep(StepBuffers s)
    {
        var idOff = s.DrawIdDropout(Options.IdDropout, _featOffsets);
        ComputeRepresentations(_params, _reps, idOff, training: true);
        if (Options.SampledNegatives > 0) s.DrawNegatives();
        else Transpose(_reps, s.RepsT, Layout.Items, Layout.D);
        return idOff;
    }

    /// <summary>
    /// One user's gradient of their mean next-item cross-entropy into s.Grads (Total), overwritten;
    /// <paramref name="sequence"/> is the user's training items (length ≥ 2), oldest first. Returns the loss summed over its positions.
    /// </summary>
    internal double UserGradient(StepBuffers s, ReadOnlySpan<int> sequence, bool[]? idOff)
    {
        var l = Layout; var d = l.D; var net = s.Net;
        PackOne(net, l.T, sequence);
        net.Forward(_params, _reps, Options.Dropout, training: true);
        Array.Clear(s.Grads);
        Array.Clear(s.DReps);
        var n = net.Tokens;
        var scale = 1f / n;
        double loss;
        if (Options.SampledNegatives > 0)
            loss = SampledSoftmax.ForwardBackward(net.Hf, _reps, net.Targets.AsSpan(0, n), s.Negatives, s.LogQ, net.DH, s.DReps, s.SampledScratch, n, d, scale);
        else
        {
            loss = 0;
            for (var r0 = 0; r0 < n; r0 += s.ChunkRows)
            {
                var rows = Math.Min(s.ChunkRows, n - r0);
                var h = net.Hf.AsSpan(r0 * d, rows * d);
                var z = s.Logits.AsSpan(0, rows * l.Items);
                Gemm.AB(h, s.RepsT, z, rows, d, l.Items);                                   // (rows, Items) logits
                loss += SoftmaxCrossEntropy.ForwardBackward(z, net.Targets.AsSpan(r0, rows), rows, l.Items, scale);
                Gemm.AB(z, _reps, net.DH.AsSpan(r0 * d, rows * d), rows, l.Items, d);         // dH = dZ · R
                Gemm.AtB(z, h, s.DReps, l.Items, rows, d, accumulate: true);                  // dR += dZᵀ · H
            }
        }
        net.Backward(_params, s.Grads, s.DReps);
        BackpropRepresentations(s.DReps, s.Grads, idOff);
        return loss;
    }

    /// <summary>Loads one training sequence (last T inputs, next-item targets) as a batch of one.</summary>
    private static void PackOne(SasRecNetwork net, int maxLength, ReadOnlySpan<int> seq)
    {
        var inputs = seq.Length - 1;
        var n = Math.Min(inputs, maxLength);
        var first = inputs - n;
        for (var j = 0; j < n; j++)
        {
            net.Items[j] = seq[first + j];
            net.Positions[j] = maxLength - n + j;
            net.Targets[j] = seq[first + j + 1];
        }
        net.Offsets[0] = 0;
        net.Offsets[1] = n;
        net.Sequences = 1;
    }

    /// <summary>
    /// Seconds per step outside the users (representations, noise for D coordinates, optimizer) and
    /// per user, from a dry run on <paramref name="probeUsers"/> users whose gradients are thrown
    /// away (nothing is released, so the probe costs no privacy). Parameters are left as they were.
    /// </summary>
    private (double Overhead, double PerUser) ProbeStepCost(StepBuffers s, PrivateBuffers? fast, UserSequences train, int probeUsers)
    {
        var probe = Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) >= 2).Take(probeUsers).ToArray();
        if (probe.Length == 0) return (0, 0);
        var sum = new float[Layout.Total];
        var noise = new Merx.Privacy.Mechanisms.CryptoNoiseSource();
        var optimizer = new AdamW(Layout.Total, Options.LearningRate);
        var throwaway = new float[Layout.Total];
        var clock = Stopwatch.StartNew();
        bool[]? idOff = null;
        var overhead = double.PositiveInfinity;
        for (var pass = 0; pass < 3; pass++)
        {
            clock.Restart();
            idOff = BeginPrivateStep(s);
            for (var i = 0; i < sum.Length; i++) sum[i] += (float)noise.NextGaussian(); // the noise draw
            optimizer.Step(throwaway, sum);                                              // an optimizer step on a throwaway copy
            overhead = pass == 0 ? double.PositiveInfinity : Math.Min(overhead, clock.Elapsed.TotalSeconds);
        }
        // Three passes: the first warms the JIT up (tiered compilation); the fastest later pass counts
        // (on a shared machine a pass can be slowed by others; the plan should not shrink for it).
        var best = double.PositiveInfinity;
        for (var pass = 0; pass < 3; pass++)
        {
            if (pass > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
            clock.Restart();
            if (fast is not null) AddFusedChunks(s, fast, train, probe, 1f, sum);
            else
                foreach (var u in probe)
                {
                    UserGradient(s, train.ItemsOf(u), idOff);
                    ClipAndAccumulate.Forward(s.Grads, sum, 1f);
                }
        }
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
        return (overhead, best / probe.Length);
    }

    /// <summary>Bytes allocated by one private step after warm-up steps (the test of "a step allocates nothing"); <paramref name="batched"/>: the fused path.</summary>
    internal long MeasurePrivateStepAllocations(TrainingData data, DpTrainingOptions dp, bool batched)
    {
        var surface = new DpSurface(this, NewPrivateBuffers(1), batched ? new PrivateBuffers(this, 1) : null, data.Train);
        // Planned with RDP: the accountant plays no part in what a step allocates, and RDP plans 1,000 epochs instantly.
        var run = DpSgdRun.Plan(dp with { Accountant = DpAccountant.Rdp }, data.Train.UserCount, Layout.Total, DefaultDpRate(data.Train.UserCount), DefaultDpClipNorm, 1000, null, 1);
        var trainer = new DpSgdTrainer(surface, run);
        for (var i = 0; i < 20; i++) trainer.Step();
        var before = GC.GetAllocatedBytesForCurrentThread();
        trainer.Step();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
