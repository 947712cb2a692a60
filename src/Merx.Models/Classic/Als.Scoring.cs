using Merx.Core.Contracts;
using Merx.Models.Linalg;

namespace Merx.Models.Classic;

public sealed partial class Als
{
    /// <summary>The user vector for a history: the exact ALS solve with item factors fixed (each occurrence counts weight 1).</summary>
    public float[] FoldIn(ReadOnlySpan<int> history)
    {
        var k = Factors;
        var a = (double[])_gram.Clone();
        for (var i = 0; i < k; i++) a[i * k + i] += Regularization;
        var b = new double[k];
        var counts = new Dictionary<int, int>();
        foreach (var h in history)
            if ((uint)h < (uint)_n) counts[h] = counts.GetValueOrDefault(h) + 1;
        foreach (var (h, count) in counts)
        {
            var y = _items.AsSpan(h * k, k);
            double extra = Alpha * count;
            for (var i = 0; i < k; i++)
            {
                b[i] += (1 + extra) * y[i];
                var yi = extra * y[i];
                for (var j = 0; j < k; j++) a[i * k + j] += yi * y[j];
            }
        }
        SmallSpd.Solve(a, b, k);
        return Array.ConvertAll(b, v => (float)v);
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) =>
        FactorScoring.Scores(FoldIn(history), 1, _items, null, _n, Factors, scores);

    public void ScoreBatch(ReadOnlySpan<int> users, IReadOnlyList<int[]> histories, Span<float> scores)
    {
        var k = Factors;
        var u = new float[users.Length * k];
        for (var r = 0; r < users.Length; r++) FoldIn(histories[r]).CopyTo(u, r * k);
        FactorScoring.Scores(u, users.Length, _items, null, _n, k, scores);
    }

    /// <summary>Cosine similarity of item factors.</summary>
    public ScoredItem[] SimilarItems(int item, int n) => TopK.CosineNeighbours(Merx.Numerics.VectorTable.OfFloats(_items, _n, Factors), item, n);

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(Factors); writer.Write(Iterations); writer.Write(Alpha); writer.Write(Regularization); writer.Write(CgSteps); writer.Write(ValidationUsers);
        writer.Write(_n);
        ModelIO.WriteArray(writer, _items);
    }

    public static Als Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "ALS");
        var m = new Als(reader.ReadInt32(), reader.ReadInt32(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadInt32(), reader.ReadInt32());
        m._n = reader.ReadInt32();
        m._items = ModelIO.ReadArray<float>(reader);
        if (m._items.LongLength != (long)m._n * m.Factors) throw new InvalidDataException("ALS payload is inconsistent");
        m._gram = Gram(m._items, m._n, m.Factors);
        return m;
    }
}
