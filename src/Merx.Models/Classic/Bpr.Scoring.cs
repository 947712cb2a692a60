using Merx.Core.Contracts;

namespace Merx.Models.Classic;

public sealed partial class Bpr
{
    private const int FoldInEpochs = 30;

    /// <summary>
    /// The user vector: the trained one for a training user, otherwise BPR updates on the history
    /// (items fixed) from zero, negatives drawn by a generator seeded from the history itself.
    /// </summary>
    public float[] UserVector(int user, ReadOnlySpan<int> history)
    {
        var k = Factors;
        if ((uint)user < (uint)_u) return _users.AsSpan(user * k, k).ToArray();
        var items = ClassicHelpers.Distinct(history, _n);
        var p = new float[k]; var gp = new float[k];
        if (items.Length == 0 || items.Length >= _n) return p;
        var seen = new HashSet<int>(items);
        var seed = 17;
        foreach (var i in items) seed = unchecked(seed * 31 + i);
        var rng = new Random(seed);
        for (var e = 0; e < FoldInEpochs; e++)
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

    public ScoredItem[] SimilarItems(int item, int n) => FactorSimilarity.Cosine(_items, _n, Factors, item, n);

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(Factors); writer.Write(MaxEpochs); writer.Write(LearningRate); writer.Write(Regularization);
        writer.Write(Adagrad); writer.Write(Patience); writer.Write(ValidationUsers);
        writer.Write(_u); writer.Write(_n);
        ModelIO.WriteArray(writer, _users); ModelIO.WriteArray(writer, _items); ModelIO.WriteArray(writer, _bias);
    }

    public static Bpr Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "BPR");
        var m = new Bpr(reader.ReadInt32(), reader.ReadInt32(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadBoolean(), reader.ReadInt32(), reader.ReadInt32());
        m._u = reader.ReadInt32(); m._n = reader.ReadInt32();
        m._users = ModelIO.ReadArray<float>(reader); m._items = ModelIO.ReadArray<float>(reader); m._bias = ModelIO.ReadArray<float>(reader);
        if (m._users.LongLength != (long)m._u * m.Factors || m._items.LongLength != (long)m._n * m.Factors || m._bias.Length != m._n)
            throw new InvalidDataException("BPR payload is inconsistent");
        return m;
    }
}
