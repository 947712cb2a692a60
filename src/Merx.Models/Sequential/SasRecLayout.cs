using Merx.Numerics;

namespace Merx.Models.Sequential;

/// <summary>Where each tensor lives in the one flat parameter array (and, at the same offsets, in the gradient array).</summary>
internal sealed class SasRecLayout
{
    public readonly record struct Block(int Ln1G, int Ln1B, int Wqkv, int Bqkv, int Wo, int Bo, int Ln2G, int Ln2B, int W1, int B1, int W2, int B2);

    /// <param name="textDim">E, the length of the items' pre-trained text vectors; 0 = no text projection.</param>
    /// <param name="itemTable">
    /// Whether the parameters hold the (Items, D) item table. Without it (an int8 serving copy, whose item rows live in
    /// its <see cref="Merx.Numerics.VectorTable"/>) every other tensor sits Items·D entries earlier: the item table is first.
    /// </param>
    public SasRecLayout(SasRecOptions o, int items, int features, int textDim = 0, bool itemTable = true)
    {
        D = o.Dim; F = o.Dim * o.FfnMultiplier; T = o.MaxLength; Items = items; Features = features; TextDim = textDim;
        var at = 0;
        int Take(int n) { var start = at; at += n; return start; }
        ItemEmb = Take(itemTable ? items * D : 0);
        ItemEnd = at;
        FeatEmb = Take(features * D);
        PosEmb = Take(T * D);
        EmbeddingEnd = at;
        Blocks = new Block[o.Blocks];
        for (var l = 0; l < o.Blocks; l++)
            Blocks[l] = new Block(Take(D), Take(D), Take(D * 3 * D), Take(3 * D), Take(D * D), Take(D), Take(D), Take(D), Take(D * F), Take(F), Take(F * D), Take(D));
        LnfG = Take(D); LnfB = Take(D);
        TextProj = Take(textDim * D); // last, so every other offset is the same with or without text
        Total = at;
    }

    public int D { get; }
    public int F { get; }
    public int T { get; }
    public int Items { get; }
    public int Features { get; }
    public int ItemEmb { get; }
    /// <summary>The end of the item table (ItemEmb is first): a lazy step's dense gradient starts here.</summary>
    public int ItemEnd { get; }
    public int FeatEmb { get; }
    public int PosEmb { get; }
    public int EmbeddingEnd { get; }
    public Block[] Blocks { get; }
    public int LnfG { get; }
    public int LnfB { get; }
    /// <summary>E, the text vector length (0: the model reads no text).</summary>
    public int TextDim { get; }
    /// <summary>(E, D) projection of an item's text vector into the item space.</summary>
    public int TextProj { get; }
    public int Total { get; }

    /// <summary>Initial values: N(0, 0.02²)·√… embeddings, Xavier-uniform weights, LayerNorm γ = 1, biases 0.</summary>
    public void Initialize(float[] p, int seed)
    {
        var rng = new Random(seed);
        float Gauss(double std) => (float)Gaussian.Next(rng, std);
        for (var i = 0; i < EmbeddingEnd; i++) p[i] = Gauss(0.02);
        void Xavier(int offset, int fanIn, int fanOut)
        {
            var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            for (var i = 0; i < fanIn * fanOut; i++) p[offset + i] = (float)((rng.NextDouble() * 2 - 1) * limit);
        }
        foreach (var b in Blocks)
        {
            Array.Fill(p, 1f, b.Ln1G, D); Array.Fill(p, 1f, b.Ln2G, D);
            Xavier(b.Wqkv, D, 3 * D); Xavier(b.Wo, D, D); Xavier(b.W1, D, F); Xavier(b.W2, F, D);
        }
        Array.Fill(p, 1f, LnfG, D);
        // Drawn after everything else, so the other parameters start the same with or without text.
        for (var i = 0; i < TextDim * D; i++) p[TextProj + i] = Gauss(0.02);
    }
}
