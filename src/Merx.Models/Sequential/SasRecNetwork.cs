using System.Numerics.Tensors;
using Merx.Numerics;
using Merx.Numerics.Layers;

namespace Merx.Models.Sequential;

/// <summary>
/// Activations and gradients of one packed batch: sequences are laid end to end (no padding
/// rows), so every row of every buffer is a real token. Sized once for the largest batch; a
/// forward or backward pass allocates nothing.
/// </summary>
internal sealed partial class SasRecNetwork
{
    private readonly SasRecLayout _l;
    private readonly int _maxTokens;
    private readonly int _heads;
    private readonly BlockState[] _blocks;
    private ulong _rng;

    public SasRecNetwork(SasRecLayout layout, int heads, int maxTokens, int maxSequences, ulong seed)
    {
        _l = layout; _heads = heads; _maxTokens = maxTokens; _rng = seed | 1;
        int n = maxTokens, d = layout.D;
        Items = new int[n]; Positions = new int[n]; Targets = new int[n]; Offsets = new int[maxSequences + 1];
        X0 = new float[n * d]; Mask0 = new float[n * d];
        _blocks = layout.Blocks.Select(_ => new BlockState(n, d, layout.F, layout.T * heads)).ToArray();
        Hf = new float[n * d]; XFinal = new float[n * d]; MeanF = new float[n]; RstdF = new float[n];
        DX = new float[n * d]; DH = new float[n * d]; DQkv = new float[n * 3 * d]; DAtt = new float[n * d]; DF = new float[n * layout.F]; DG = new float[n * layout.F];
        Scratch = new float[Math.Max(layout.T, d) + n * layout.F];
    }

    // Inputs of the batch: (N) token items, positions and next-item targets; (B+1) sequence offsets.
    public int[] Items { get; }
    public int[] Positions { get; }
    public int[] Targets { get; }
    public int[] Offsets { get; }
    public int Sequences { get; set; }
    public int Tokens => Offsets[Sequences];

    private float[] X0 { get; }     // (N, D) embedded input
    private float[] Mask0 { get; }  // (N, D) embedding dropout scales
    public float[] Hf { get; }      // (N, D) final hidden states
    private float[] XFinal { get; } // (N, D) residual stream entering the final LayerNorm
    private float[] MeanF { get; }
    private float[] RstdF { get; }
    public float[] DX { get; }      // (N, D) gradient flowing down the residual stream
    public float[] DH { get; }      // (N, D) gradient of a LayerNorm output / of Hf
    private float[] DQkv { get; }   // (N, 3D)
    private float[] DAtt { get; }   // (N, D)
    private float[] DF { get; }     // (N, F)
    private float[] DG { get; }     // (N, F)
    private float[] Scratch { get; }

    private sealed class BlockState(int n, int d, int f, int t)
    {
        public readonly float[] Xin = new float[n * d], H1 = new float[n * d], Mean1 = new float[n], Rstd1 = new float[n];
        public readonly float[] Qkv = new float[n * 3 * d], Probs = new float[n * t], Att = new float[n * d], Mask1 = new float[n * d];
        public readonly float[] Xmid = new float[n * d], H2 = new float[n * d], Mean2 = new float[n], Rstd2 = new float[n];
        public readonly float[] F1 = new float[n * f], G = new float[n * f], Mask2 = new float[n * d];
    }

    /// <summary>Encodes the packed batch into <see cref="Hf"/>. reps: (Items, D) item representations.</summary>
    public void Forward(float[] p, float[] reps, float dropout, bool training)
    {
        int n = Tokens, d = _l.D;
        Embedding.Gather(reps, Items.AsSpan(0, n), X0.AsSpan(0, n * d), d, MathF.Sqrt(d));            // x = reps[item]·√D
        ForwardEmbedded(p, dropout, training);
    }

    /// <summary><see cref="Forward(float[], float[], float, bool)"/> with the item rows read from a table (an int8 inference copy's), without dropout.</summary>
    public void Forward(float[] p, VectorTable reps)
    {
        GatherRows(reps, Tokens);
        ForwardEmbedded(p, 0, training: false);
    }

    // x = reps[item]·√D, each row read through the table (dequantized when it is int8).
    private void GatherRows(VectorTable reps, int n)
    {
        var d = _l.D;
        var scale = MathF.Sqrt(d);
        for (var t = 0; t < n; t++)
        {
            var row = X0.AsSpan(t * d, d);
            TensorPrimitives.Multiply(reps.Row(Items[t], row), scale, row);
        }
    }

    // The rest of Forward once X0 holds the scaled item rows.
    private void ForwardEmbedded(float[] p, float dropout, bool training)
    {
        int n = Tokens, d = _l.D;
        var x = X0.AsSpan(0, n * d);
        Embedding.Gather(p.AsSpan(_l.PosEmb, _l.T * d), Positions.AsSpan(0, n), x, d, accumulate: true); //   + pos[position]
        Dropout.Forward(x, x, Mask0, dropout, training, ref _rng);
        for (var l = 0; l < _blocks.Length; l++) Block(l, p, x, n, dropout, training);
        x.CopyTo(XFinal);
        LayerNorm.Forward(x, Hf, p.AsSpan(_l.LnfG, d), p.AsSpan(_l.LnfB, d), MeanF, RstdF, n, d);
    }

    // One Transformer block over the n packed tokens of x (the residual stream, updated in place).
    private void Block(int l, float[] p, Span<float> x, int n, float dropout, bool training)
    {
        int d = _l.D, f = _l.F;
        var b = _l.Blocks[l]; var s = _blocks[l];
        ReadOnlySpan<int> offsets = Offsets.AsSpan(0, Sequences + 1);
        x.CopyTo(s.Xin);
        LayerNorm.Forward(s.Xin, s.H1, p.AsSpan(b.Ln1G, d), p.AsSpan(b.Ln1B, d), s.Mean1, s.Rstd1, n, d);
        Linear(s.H1, p, b.Wqkv, b.Bqkv, s.Qkv, n, d, 3 * d);
        CausalSelfAttention.Forward(s.Qkv, s.Att, s.Probs, offsets, d, _heads);
        Linear(s.Att, p, b.Wo, b.Bo, DAtt, n, d, d); // x += dropout(Att·Wo + bo)
        Dropout.Forward(DAtt.AsSpan(0, n * d), DAtt, s.Mask1, dropout, training, ref _rng);
        Residual.Forward(s.Xin.AsSpan(0, n * d), DAtt, x);
        x.CopyTo(s.Xmid);
        LayerNorm.Forward(s.Xmid, s.H2, p.AsSpan(b.Ln2G, d), p.AsSpan(b.Ln2B, d), s.Mean2, s.Rstd2, n, d);
        Linear(s.H2, p, b.W1, b.B1, s.F1, n, d, f);
        Gelu.Forward(s.F1.AsSpan(0, n * f), s.G, Scratch);
        Linear(s.G, p, b.W2, b.B2, DAtt, n, f, d);
        Dropout.Forward(DAtt.AsSpan(0, n * d), DAtt, s.Mask2, dropout, training, ref _rng);
        Residual.Forward(s.Xmid.AsSpan(0, n * d), DAtt, x);
    }

    /// <summary>
    /// Inference for one packed sequence: writes only the last token's final hidden state (D) to
    /// <paramref name="output"/>, which is all a user encoder needs. The blocks below the top run in
    /// full (every row feeds the top block's keys and values); the top block projects every row
    /// (its keys and values) but attends, projects, feeds forward and normalizes the last row
    /// alone: at length 50 with two blocks, about 60% of a full pass's multiply-adds. Equals the
    /// last row of <see cref="Hf"/> after <see cref="Forward"/> without dropout (a test checks it).
    /// </summary>
    public void ForwardLast(float[] p, VectorTable reps, Span<float> output)
    {
        if (Sequences != 1) throw new InvalidOperationException("ForwardLast encodes exactly one packed sequence");
        int n = Tokens, d = _l.D, f = _l.F;
        if (output.Length < d) throw new ArgumentException($"output needs {d} entries", nameof(output));
        var x = X0.AsSpan(0, n * d);
        GatherRows(reps, n);
        Embedding.Gather(p.AsSpan(_l.PosEmb, _l.T * d), Positions.AsSpan(0, n), x, d, accumulate: true);
        var top = _blocks.Length - 1;
        for (var l = 0; l < top; l++) Block(l, p, x, n, 0, training: false);
        var b = _l.Blocks[top]; var s = _blocks[top];
        var last = (n - 1) * d;
        LayerNorm.Forward(x, s.H1, p.AsSpan(b.Ln1G, d), p.AsSpan(b.Ln1B, d), s.Mean1, s.Rstd1, n, d);
        Linear(s.H1, p, b.Wqkv, b.Bqkv, s.Qkv, n, d, 3 * d);
        CausalSelfAttention.ForwardLast(s.Qkv, s.Att, Scratch, 0, n, d, _heads);              // Att row 0 = the last token's attention
        Linear(s.Att, p, b.Wo, b.Bo, DAtt, 1, d, d);
        var xl = s.Xmid.AsSpan(0, d);
        Residual.Forward(x.Slice(last, d), DAtt, xl);                                         // x_last += Att·Wo + bo
        LayerNorm.Forward(xl, s.H2, p.AsSpan(b.Ln2G, d), p.AsSpan(b.Ln2B, d), s.Mean2, s.Rstd2, 1, d);
        Linear(s.H2, p, b.W1, b.B1, s.F1, 1, d, f);
        Gelu.Forward(s.F1.AsSpan(0, f), s.G, Scratch);
        Linear(s.G, p, b.W2, b.B2, DAtt, 1, f, d);
        Residual.Forward(xl, DAtt, xl);
        LayerNorm.Forward(xl, output, p.AsSpan(_l.LnfG, d), p.AsSpan(_l.LnfB, d), MeanF, RstdF, 1, d);
    }

    public int MaxTokens => _maxTokens;

    /// <summary>
    /// Backpropagates <see cref="DH"/> (gradient of Hf) to the parameters g and to dReps (Items, D), both accumulated.
    /// g[0] is parameter <paramref name="gradFrom"/>'s gradient: a lazy step holds no gradient for the item table (the
    /// network never writes one; item rows get theirs through dReps).
    /// </summary>
    public void Backward(float[] p, float[] g, float[] dReps, int gradFrom = 0)
    {
        Span<float> G(int offset, int length) => g.AsSpan(offset - gradFrom, length);
        int n = Tokens, d = _l.D, f = _l.F;
        LayerNorm.Backward(DH, XFinal, MeanF, RstdF, p.AsSpan(_l.LnfG, d), DX, G(_l.LnfG, d), G(_l.LnfB, d), Scratch, n, d);
        ReadOnlySpan<int> offsets = Offsets.AsSpan(0, Sequences + 1);
        for (var l = _blocks.Length - 1; l >= 0; l--)
        {
            var b = _l.Blocks[l]; var s = _blocks[l];
            // FFN: out = Xmid + drop(G·W2 + b2)
            var dF2 = DAtt.AsSpan(0, n * d);
            Dropout.Backward(DX.AsSpan(0, n * d), s.Mask2, dF2);
            LinearBackward(s.G, p, g, gradFrom, b.W2, b.B2, DAtt, DG, n, f, d);
            Gelu.Backward(s.F1.AsSpan(0, n * f), DG.AsSpan(0, n * f), DF);
            LinearBackward(s.H2, p, g, gradFrom, b.W1, b.B1, DF, DH, n, d, f);
            LayerNorm.Backward(DH, s.Xmid, s.Mean2, s.Rstd2, p.AsSpan(b.Ln2G, d), DQkv, G(b.Ln2G, d), G(b.Ln2B, d), Scratch, n, d);
            Residual.Backward(DX.AsSpan(0, n * d), DQkv);                                                  // dXmid
            // Attention: Xmid = Xin + drop(Att·Wo + bo)
            Dropout.Backward(DX.AsSpan(0, n * d), s.Mask1, DH);                                     // dO
            LinearBackward(s.Att, p, g, gradFrom, b.Wo, b.Bo, DH, DAtt, n, d, d);
            CausalSelfAttention.Backward(s.Qkv, s.Probs, DAtt, DQkv, Scratch, offsets, d, _heads);
            LinearBackward(s.H1, p, g, gradFrom, b.Wqkv, b.Bqkv, DQkv, DH, n, d, 3 * d);
            LayerNorm.Backward(DH, s.Xin, s.Mean1, s.Rstd1, p.AsSpan(b.Ln1G, d), DAtt, G(b.Ln1G, d), G(b.Ln1B, d), Scratch, n, d);
            Residual.Backward(DX.AsSpan(0, n * d), DAtt);                                                  // dXin
        }
        // Embedding: x0 = drop(reps[item]·√D + pos)
        var scale = MathF.Sqrt(d);
        Dropout.Backward(DX.AsSpan(0, n * d), Mask0, DX);
        Embedding.ScatterAdd(DX.AsSpan(0, n * d), Positions.AsSpan(0, n), G(_l.PosEmb, _l.T * d), d);
        Embedding.ScatterAdd(DX.AsSpan(0, n * d), Items.AsSpan(0, n), dReps, d, scale);
    }

    /// <summary>Int8 weights of the dense layers for inference (<see cref="SasRec.ToInt8"/>); null: float weights.</summary>
    public SasRecInt8Weights? Int8 { get; init; }

    /// <summary>y (N, out) = x (N, in) · W (in, out) + b; through the layer's int8 copy when the network has one.</summary>
    private void Linear(float[] x, float[] p, int w, int bias, float[] y, int n, int inDim, int outDim)
    {
        if (Int8?.Layer(w) is { } q) { q.Forward(x.AsSpan(0, n * inDim), p.AsSpan(bias, outDim), y, n); return; }
        Gemm.AB(x.AsSpan(0, n * inDim), p.AsSpan(w, inDim * outDim), y.AsSpan(0, n * outDim), n, inDim, outDim);
        var bv = p.AsSpan(bias, outDim);
        for (var t = 0; t < n; t++) TensorPrimitives.Add(y.AsSpan(t * outDim, outDim), bv, y.AsSpan(t * outDim, outDim));
    }

    /// <summary>From dy (N, out): dW += xᵀ·dy, db += Σ dy, dx = dy · Wᵀ (overwritten). g[0] is parameter gradFrom's gradient.</summary>
    private static void LinearBackward(float[] x, float[] p, float[] g, int gradFrom, int w, int bias, float[] dy, float[] dx, int n, int inDim, int outDim)
    {
        Gemm.AtB(x.AsSpan(0, n * inDim), dy.AsSpan(0, n * outDim), g.AsSpan(w - gradFrom, inDim * outDim), inDim, n, outDim, accumulate: true);
        var db = g.AsSpan(bias - gradFrom, outDim);
        for (var t = 0; t < n; t++) TensorPrimitives.Add(db, dy.AsSpan(t * outDim, outDim), db);
        Gemm.ABt(dy.AsSpan(0, n * outDim), p.AsSpan(w, inDim * outDim), dx.AsSpan(0, n * inDim), n, outDim, inDim);
    }
}
