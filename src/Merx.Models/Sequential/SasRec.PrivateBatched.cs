using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Training;
using Merx.Numerics;
using Merx.Numerics.Layers;

namespace Merx.Models.Sequential;

/// <summary>
/// The fused clipped sum of a private step (full softmax): the clipped sum Σᵤ min(1, C/‖gᵤ‖)·gᵤ without materializing
/// any user's dense (Items, D) gradient. A user's gradient is gᵤ = [transformer part; M(Oᵤ + Sᵤ)]
/// with Oᵤ = dZᵤᵀHᵤ the output layer's (Items, D) gradient, Sᵤ the input embedding gradient (rows of
/// the user's input items only) and M the linear map onto item-id and feature embeddings
/// (identity, and Aᵀ with A (Items, F) = 1/count on each item's features). Its exact squared norm is
/// ‖trans‖² + ‖O+S‖² + ‖Aᵀ(O+S)‖², where ‖O‖² = Σ_tt' (dz_t·dz_t')(h_t·h_t') and
/// ‖AᵀO‖² = Σ_tt' (k_t·k_t')(h_t·h_t') with K = dZ·A: token-pair Gram sums, no (Items, D) buffer per user.
/// The transformer part comes from a batch-of-one backward of the user's dH rows (cheap: a
/// sequence of ≤ T tokens). Then dZ rows are scaled by each user's factor and one batched
/// dZᵀH product adds Σ sᵤOᵤ. Tested against the batch-of-one reference (<see cref="UserGradient"/>).
/// It is the Transformer surface's batch method; noise, update and accounting are <see cref="DpSgdTrainer"/>'s.
/// </summary>
public sealed partial class SasRec
{
    /// <summary>Buffers of the fused clipped sum, allocated once per fit.</summary>
    internal sealed class PrivateBuffers
    {
        public PrivateBuffers(SasRec model, int seed)
        {
            var l = model.Layout;
            // About LogitsChunkFloats (8 MB) of logits per chunk, as in non-private training: the block stays in the
            // last-level cache through its product, softmax, Gram sums and the two backward products.
            MaxTokens = Math.Clamp(LogitsChunkFloats / Math.Max(1, l.Items), l.T, 4096);
            Batch = new SasRecNetwork(l, model.Options.Heads, MaxTokens, MaxTokens, (ulong)seed * 0x9E3779B97F4A7C15UL + 5);
            Z = new float[MaxTokens * l.Items];
            K = new float[MaxTokens * Math.Max(1, l.Features)];
            DRepsSum = new float[l.Items * l.D];
            FeatS = new float[Math.Max(1, l.Features) * l.D];
            FeatTouched = new bool[Math.Max(1, l.Features)];
            FeatList = new int[Math.Max(1, l.Features)];
            GramH = new double[l.T * l.T];
            Chunk = new int[MaxTokens];
            OneRow = new float[l.D];
            _t = l.T;
            UpdateIdMask(model._trained);
        }

        private readonly int _t;

        /// <summary>Follows the model's id vocabulary (trained[i]: item i has its own id row); call again after it changes.</summary>
        public void UpdateIdMask(bool[] trained)
        {
            if (Array.IndexOf(trained, false) < 0) { IdMask = null; return; }
            IdMask = new float[trained.Length];
            for (var i = 0; i < trained.Length; i++) IdMask[i] = trained[i] ? 1f : 0f;
            if (ZMasked.Length == 0) ZMasked = new float[_t * trained.Length];
        }

        public int MaxTokens { get; }
        public SasRecNetwork Batch { get; }   // packed chunk of sampled users
        public float[] Z { get; }             // (MaxTokens, Items) logits → dZ, rows scaled by each user's clip factor
        public float[] K { get; }             // (MaxTokens, F) dZ · A
        public float[] DRepsSum { get; }      // (Items, D) Σ sᵤ (Oᵤ + Sᵤ)
        public float[] FeatS { get; }         // (F, D) AᵀSᵤ on the touched features
        public bool[] FeatTouched { get; }    // (F)
        public int[] FeatList { get; }        // (F) touched features
        public double[] GramH { get; }        // (T, T) h_t·h_t' of one user
        public int[] Chunk { get; }           // users of the current chunk
        public float[] OneRow { get; }        // (D)
        public float[]? IdMask { get; private set; } // (Items) 1 = the item has its own id row, 0 = side information only; null = every item has one
        public float[] ZMasked { get; private set; } = []; // (T, Items) one user's dZ rows with the id-less items' columns zeroed
    }

    /// <summary>
    /// Adds the clipped gradients of <paramref name="users"/> (their training sequences in
    /// <paramref name="train"/>) into <paramref name="sum"/> (Total, zeros on entry) by the fused path described
    /// on the class, at this step's representations (<see cref="BeginPrivateStep"/> first). The same sum as the
    /// per-user path up to float rounding (and a 0.1 % norm margin); allocates nothing.
    /// </summary>
    private ClippedSum AddFusedClippedSum(StepBuffers s, PrivateBuffers p, UserSequences train, ReadOnlySpan<int> users, float clip, float[] sum)
    {
        Array.Clear(p.DRepsSum);
        var total = AddFusedChunks(s, p, train, users, clip, sum);
        BackpropRepresentations(p.DRepsSum, sum);
        return total;
    }

    /// <summary>
    /// The users in chunks of at most MaxTokens tokens through <see cref="ClippedChunk"/>: their transformer
    /// parts into <paramref name="sum"/> (Total), their (Items, D) representation parts into p.DRepsSum.
    /// </summary>
    private ClippedSum AddFusedChunks(StepBuffers s, PrivateBuffers p, UserSequences train, ReadOnlySpan<int> users, float clip, float[] sum)
    {
        double loss = 0; int contributed = 0, clipped = 0, dropped = 0;
        var at = 0;
        while (at < users.Length)
        {
            // A chunk: as many users as fit in MaxTokens.
            int count = 0, tokens = 0;
            for (; at < users.Length; at++)
            {
                var u = users[at];
                var n = Math.Min(train.LengthOf(u) - 1, Layout.T);
                if (n < 1) continue;            // no next-item position: a zero gradient
                if (tokens + n > p.MaxTokens) break;
                p.Chunk[count++] = u; tokens += n;
            }
            if (count == 0) continue;
            var (l1, c1, d1) = ClippedChunk(s, p, train, count, clip, sum);
            loss += l1; contributed += count; clipped += c1; dropped += d1;
        }
        return new(loss, contributed, clipped, dropped);
    }

    /// <summary>Adds the clipped gradients of the users in p.Chunk[..count] to <paramref name="sum"/> (Total) / p.DRepsSum; returns (Σ mean loss, clipped, dropped).</summary>
    private (double Loss, int Clipped, int Dropped) ClippedChunk(StepBuffers s, PrivateBuffers p, UserSequences train, int count, float clip, float[] sum)
    {
        var l = Layout; var d = l.D; var items = l.Items; var f = l.Features;
        var net = p.Batch;
        net.Offsets[0] = 0;
        var t0 = 0;
        for (var b = 0; b < count; b++)
        {
            var seq = train.ItemsOf(p.Chunk[b]);
            var n = Math.Min(seq.Length - 1, l.T); var first = seq.Length - 1 - n;
            for (var j = 0; j < n; j++) { net.Items[t0 + j] = seq[first + j]; net.Positions[t0 + j] = l.T - n + j; net.Targets[t0 + j] = seq[first + j + 1]; }
            t0 += n;
            net.Offsets[b + 1] = t0;
        }
        net.Sequences = count;
        var tokens = net.Tokens;
        net.Forward(_params, _reps, 0, training: false);
        var z = p.Z.AsSpan(0, tokens * items);
        Gemm.AB(net.Hf.AsSpan(0, tokens * d), s.RepsT, z, tokens, d, items);              // (N, Items) logits
        double loss = 0;
        for (var b = 0; b < count; b++)
        {
            int r0 = net.Offsets[b], rows = net.Offsets[b + 1] - r0;
            loss += SoftmaxCrossEntropy.ForwardBackward(z.Slice(r0 * items, rows * items), net.Targets.AsSpan(r0, rows), rows, items, 1f / rows) / rows;
        }
        Gemm.AB(z, _reps, net.DH.AsSpan(0, tokens * d), tokens, items, d);                 // dH = dZ · R
        var k = p.K.AsSpan(0, tokens * Math.Max(1, f));
        if (f > 0) FeatureProjection(z, k, tokens);                                        // K = dZ · A
        int clipped = 0, dropped = 0;
        for (var b = 0; b < count; b++)
        {
            int r0 = net.Offsets[b], rows = net.Offsets[b + 1] - r0;
            var scale = UserClipFactor(s, p, train.ItemsOf(p.Chunk[b]), r0, rows, clip, sum);
            if (scale == 0) dropped++; else if (scale < 1) clipped++;
            TensorPrimitives.Multiply(z.Slice(r0 * items, rows * items), scale, z.Slice(r0 * items, rows * items));
        }
        Gemm.AtB(z, net.Hf.AsSpan(0, tokens * d), p.DRepsSum, items, tokens, d, accumulate: true);   // Σ sᵤ Oᵤ
        return (loss, clipped, dropped);
    }

    /// <summary>k (N, F) = dZ (N, Items) · A, A[i, f] = 1/count(i) for each feature f of item i.</summary>
    private void FeatureProjection(ReadOnlySpan<float> z, Span<float> k, int tokens)
    {
        var items = Layout.Items; var f = Layout.Features;
        k.Clear();
        for (var t = 0; t < tokens; t++)
        {
            var zr = z.Slice(t * items, items); var kr = k.Slice(t * f, f);
            for (var i = 0; i < items; i++)
            {
                int start = _featOffsets[i], cnt = _featOffsets[i + 1] - start;
                if (cnt == 0) continue;
                var v = zr[i] / cnt;
                for (var j = 0; j < cnt; j++) kr[_featIds[start + j]] += v;
            }
        }
    }

    /// <summary>
    /// Test hook: the clipped gradient sum (Total) over <paramref name="users"/> at the current
    /// parameters, by the fast path and by the batch-of-one reference (clip each materialized gradient).
    /// </summary>
    internal (float[] Fast, float[] Reference) ClippedSums(UserSequences train, int[] users, float clip)
    {
        var s = NewPrivateBuffers(1);
        var p = new PrivateBuffers(this, 1);
        var idOff = BeginPrivateStep(s);
        var fast = new float[Layout.Total];
        AddFusedClippedSum(s, p, train, users, clip, fast);
        var reference = new float[Layout.Total];
        foreach (var u in users)
        {
            if (train.LengthOf(u) < 2) continue;
            UserGradient(s, train.ItemsOf(u), idOff);
            Merx.Privacy.DpSgd.ClipAndAccumulate.Reference(s.Grads, reference, clip);
        }
        return (fast, reference);
    }

    /// <summary>Test hook: only the items with keep[i] keep their own id row (as a private vocabulary release decides).</summary>
    internal void RestrictIdVocabulary(bool[] keep) => keep.CopyTo(_trained, 0);

    /// <summary>Test hook: fits the private setup (layout, initial parameters) without training, so the step paths can be compared.</summary>
    internal void InitializePrivate(TrainingData data, DpTrainingOptions dp, int seed) =>
        FitPrivate(data, new FitOptions { Seed = seed }, dp with { Epochs = 1e-9 });
}
