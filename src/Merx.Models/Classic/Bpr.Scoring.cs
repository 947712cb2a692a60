using Merx.Core.Contracts;

namespace Merx.Models.Classic;

public sealed partial class Bpr
{
    private const int FoldInEpochs = 30;

    /// <summary>BPR passes over the history that refine a training user's vector at query time (0 = use it as trained).</summary>
    public int RefineEpochs { get; init; } = 5;

    /// <summary>
    /// The user vector for a query: a training user's vector refined by <see cref="RefineEpochs"/>
    /// BPR passes over the given history (so events since training count), or for an unknown user
    /// BPR passes from zero; items stay fixed and negatives come from a generator seeded by the
    /// history itself, so the same query always gets the same vector.
    /// </summary>
    public float[] UserVector(int user, ReadOnlySpan<int> history)
    {
        var k = Factors;
        var known = (uint)user < (uint)_u;
        var p = known ? _users.AsSpan(user * k, k).ToArray() : new float[k];
        var epochs = known ? RefineEpochs : FoldInEpochs;
        var items = ClassicHelpers.Distinct(history, _n);
        if (items.Length == 0 || items.Length >= _n || epochs == 0) return p;
        var gp = new float[k];
        var seen = new HashSet<int>(items);
        var seed = 17;
        foreach (var i in items) seed = unchecked(seed * 31 + i);
        var rng = new Random(seed);
        for (var e = 0; e < epochs; e++)
            foreach (var i in items)
            {
                int j;
                do j = rng.Next(_n); while (seen.Contains(j));
                Step(p, gp, i, j, [], [], updateItems: false);
            }
        return p;
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) =>
        FactorScoring.Scores(UserVector(user, history), 1, _items, _bias, _n, Factors, scores);

    public void ScoreBatch(ReadOnlySpan<int> users, IReadOnlyList<int[]> histories, Span<float> scores)
    {
        var k = Factors;
        var u = new float[users.Length * k];
        for (var r = 0; r < users.Length; r++) UserVector(users[r], histories[r]).CopyTo(u, r * k);
        FactorScoring.Scores(u, users.Length, _items, _bias, _n, k, scores);
    }

    public ScoredItem[] SimilarItems(int item, int n) => TopK.CosineNeighbours(Merx.Numerics.VectorTable.OfFloats(_items, _n, Factors), item, n);

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(Factors); writer.Write(MaxEpochs); writer.Write(LearningRate); writer.Write(Regularization);
        writer.Write(Adagrad); writer.Write(Patience); writer.Write(ValidationUsers);
        writer.Write(RefineEpochs); writer.Write(_u); writer.Write(_n);
        ModelIO.WriteArray(writer, _users); ModelIO.WriteArray(writer, _items); ModelIO.WriteArray(writer, _bias);
    }

    public static Bpr Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "BPR");
        var m = new Bpr(reader.ReadInt32(), reader.ReadInt32(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadBoolean(), reader.ReadInt32(), reader.ReadInt32()) { RefineEpochs = reader.ReadInt32() };
        m._u = reader.ReadInt32(); m._n = reader.ReadInt32();
        m._users = ModelIO.ReadArray<float>(reader); m._items = ModelIO.ReadArray<float>(reader); m._bias = ModelIO.ReadArray<float>(reader);
        if (m._users.LongLength != (long)m._u * m.Factors || m._items.LongLength != (long)m._n * m.Factors || m._bias.Length != m._n)
            throw new InvalidDataException("BPR payload is inconsistent");
        return m;
    }
}
