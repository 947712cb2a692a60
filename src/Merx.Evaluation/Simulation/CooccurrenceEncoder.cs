using Merx.Core.Contracts;
using Merx.Models.Classic;
using Merx.Numerics;

namespace Merx.Evaluation.Simulation;

/// <summary>
/// A cheap <see cref="IUserEncoder"/> for the simulator when no Transformer is trained: random
/// indexing over item-kNN neighbourhoods. Item i's vector is its own random Gaussian signature plus
/// the similarity-weighted signatures of its neighbours, normalised, so co-consumed items point the
/// same way; a user's vector is the normalised mean of their last 20 items' vectors. Scores are dot
/// products, as the contract requires. Built in milliseconds; stands in for the Transformer's
/// vectors so linucb, lints and dynamic run on every data set.
/// </summary>
public sealed class CooccurrenceEncoder : IUserEncoder
{
    private const int Recent = 20;
    private readonly float[] _items; // (n, d)

    public CooccurrenceEncoder(ItemKnn knn, int dimension, int seed)
    {
        var n = knn.ItemCount;
        Dimension = dimension;
        var rng = new Random(seed);
        var sig = new float[(long)n * dimension];
        for (var i = 0; i < sig.Length; i++) sig[i] = (float)Gaussian.Next(rng);
        _items = new float[sig.Length];
        for (var i = 0; i < n; i++)
        {
            var v = _items.AsSpan(i * dimension, dimension);
            sig.AsSpan(i * dimension, dimension).CopyTo(v);
            foreach (var nb in knn.SimilarItems(i, 20))
            {
                var s = sig.AsSpan(nb.Item * dimension, dimension);
                for (var j = 0; j < dimension; j++) v[j] += 2 * nb.Score * s[j];
            }
            Normalize(v);
        }
    }

    public int Dimension { get; }
    public VectorTable ItemVectors => _table ??= VectorTable.OfFloats(_items, _items.Length / Dimension, Dimension);
    private VectorTable? _table;

    public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector)
    {
        var v = vector[..Dimension];
        v.Clear();
        var start = Math.Max(0, history.Length - Recent);
        for (var t = start; t < history.Length; t++)
        {
            var i = history[t];
            if ((long)(i + 1) * Dimension > _items.Length || i < 0) continue;
            var iv = _items.AsSpan(i * Dimension, Dimension);
            for (var j = 0; j < Dimension; j++) v[j] += iv[j];
        }
        Normalize(v);
    }

    private static void Normalize(Span<float> v)
    {
        double s = 0;
        foreach (var x in v) s += x * x;
        if (s <= 0) return;
        var inv = (float)(1 / Math.Sqrt(s));
        for (var j = 0; j < v.Length; j++) v[j] *= inv;
    }
}
