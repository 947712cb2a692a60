using Merx.Numerics;

namespace Merx.Models.Sequential;

public sealed partial class SasRec
{
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
}
