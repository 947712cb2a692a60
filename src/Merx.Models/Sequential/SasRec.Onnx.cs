using Merx.Models.Export;

namespace Merx.Models.Sequential;

public sealed partial class SasRec
{
    /// <summary>
    /// The Transformer's encoder and item scoring as an ONNX model (opset 17), for running Merx's model in
    /// another stack. Input "items" (L) int64: the user's latest known items, oldest first, model indices,
    /// at most <see cref="SasRecOptions.MaxLength"/> of them (what <see cref="EncodeUser"/> keeps of a
    /// history). Outputs "user" (D), the user vector of <see cref="EncodeUser"/>, and "scores" (1, Items),
    /// user · item vectors as <see cref="Score"/> writes them. The graph is the full forward of
    /// <see cref="SasRecNetwork.Forward"/> without dropout: embeddings·√D + positions counted back from the
    /// end, pre-LayerNorm blocks (causal attention, tanh-GELU feed-forward), the final LayerNorm, the last row.
    /// </summary>
    public byte[] ToOnnx()
    {
        if (_int8 is not null) throw new InvalidOperationException("an int8 inference copy has no float graph to export: export the float model");
        var l = Layout; int d = l.D, f = l.F, heads = Options.Heads, hs = d / heads;
        var p = _params;
        var g = new OnnxGraph(Name);
        g.Input("items", OnnxGraph.Int64, "L");
        var reps = g.Initializer("item_vectors", _reps.AsSpan(0, l.Items * d), l.Items, d);
        var pos = g.Initializer("position_embeddings", p.AsSpan(l.PosEmb, l.T * d), l.T, d);
        string Scalar(string name, float v) => g.Initializer(name, [v]);
        var axis0 = g.Int64Initializer("axis0", [0L], 1);

        // x = reps[items]·√D + pos[T − L + j]
        var x = g.Node("Mul", [g.Node("Gather", ["item_vectors", "items"], ("axis", 0L)), Scalar("sqrt_d", MathF.Sqrt(d))]);
        var length = g.Node("Shape", ["items"]);                                                   // [L]
        var start = g.Node("Squeeze", [g.Node("Sub", [g.Int64Initializer("t", [(long)l.T], 1), length]), axis0]);
        var positions = g.Node("Range", [start, g.Int64Initializer("t_scalar", [(long)l.T]), g.Int64Initializer("one", [1L])]);
        x = g.Node("Add", [x, g.Node("Gather", [pos, positions], ("axis", 0L))]);

        // (L, L) causal mask: 0 where key ≤ query, −1e30 above (exp underflows to exactly 0, as a skipped term).
        var mask = new float[l.T * l.T];
        for (var i = 0; i < l.T; i++) for (var j = i + 1; j < l.T; j++) mask[i * l.T + j] = -1e30f;
        var ends = g.Node("Concat", [length, length], ("axis", 0L));
        var maskL = g.Node("Slice", [g.Initializer("causal_mask", mask, l.T, l.T), g.Int64Initializer("zeros2", [0L, 0L], 2), ends]);
        var headShape = g.Int64Initializer("head_shape", [-1L, heads, hs], 3);
        var rowShape = g.Int64Initializer("row_shape", [-1L, d], 2);
        var split = g.Int64Initializer("qkv_split", [(long)d, d, d], 3);
        var scale = Scalar("att_scale", 1f / MathF.Sqrt(hs));

        string Param(string name, int offset, params long[] dims) => g.Initializer(name, p.AsSpan(offset, (int)dims.Aggregate(1L, (a, b) => a * b)), dims);
        string Linear(string input, string w, string b) => g.Node("Add", [g.Node("MatMul", [input, w]), b]);
        string Norm(string input, string gamma, string beta) => g.Node("LayerNormalization", [input, gamma, beta], ("axis", -1L), ("epsilon", Numerics.Layers.LayerNorm.Eps));
        string Heads(string t, long[] perm) => g.Node("Transpose", [g.Node("Reshape", [t, headShape])], ("perm", perm));

        for (var k = 0; k < l.Blocks.Length; k++)
        {
            var b = l.Blocks[k];
            var h = Norm(x, Param($"b{k}.ln1.g", b.Ln1G, d), Param($"b{k}.ln1.b", b.Ln1B, d));
            var qkv = Linear(h, Param($"b{k}.wqkv", b.Wqkv, d, 3 * d), Param($"b{k}.bqkv", b.Bqkv, 3 * d));
            var parts = g.Node("Split", [qkv, split], [g.Fresh("q"), g.Fresh("k"), g.Fresh("v")], ("axis", 1L));
            var q = Heads(parts[0], [1, 0, 2]);                                                    // (H, L, hs)
            var kt = Heads(parts[1], [1, 2, 0]);                                                   // (H, hs, L)
            var v = Heads(parts[2], [1, 0, 2]);                                                    // (H, L, hs)
            var s = g.Node("Add", [g.Node("Mul", [g.Node("MatMul", [q, kt]), scale]), maskL]);      // (H, L, L)
            var att = g.Node("MatMul", [g.Node("Softmax", [s], ("axis", -1L)), v]);                // (H, L, hs)
            att = g.Node("Reshape", [g.Node("Transpose", [att], ("perm", new long[] { 1, 0, 2 })), rowShape]); // (L, D)
            x = g.Node("Add", [x, Linear(att, Param($"b{k}.wo", b.Wo, d, d), Param($"b{k}.bo", b.Bo, d))]);
            var h2 = Norm(x, Param($"b{k}.ln2.g", b.Ln2G, d), Param($"b{k}.ln2.b", b.Ln2B, d));
            var f1 = Linear(h2, Param($"b{k}.w1", b.W1, d, f), Param($"b{k}.b1", b.B1, f));
            x = g.Node("Add", [x, Linear(Gelu(g, f1, k), Param($"b{k}.w2", b.W2, f, d), Param($"b{k}.b2", b.B2, d))]);
        }
        var hf = Norm(x, Param("lnf.g", l.LnfG, d), Param("lnf.b", l.LnfB, d));
        g.Node("Gather", [hf, g.Int64Initializer("last", [-1L])], ["user"], ("axis", 0L));
        g.Node("Gemm", [g.Node("Unsqueeze", ["user", axis0]), reps], ["scores"], ("transB", 1L));
        g.Output("user", OnnxGraph.Float, d);
        g.Output("scores", OnnxGraph.Float, 1, l.Items);
        return g.ToBytes();
    }

    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as Numerics.Layers.Gelu computes it.
    private static string Gelu(OnnxGraph g, string x, int block)
    {
        var cube = g.Node("Mul", [x, g.Node("Mul", [x, x])]);
        var u = g.Node("Mul", [g.Initializer($"gelu{block}.c", [MathF.Sqrt(2f / MathF.PI)]), g.Node("Add", [x, g.Node("Mul", [g.Initializer($"gelu{block}.a", [0.044715f]), cube])])]);
        var half = g.Node("Mul", [g.Initializer($"gelu{block}.half", [0.5f]), x]);
        return g.Node("Mul", [half, g.Node("Add", [g.Initializer($"gelu{block}.one", [1f]), g.Node("Tanh", [u])])]);
    }
}
