using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Numerics;

namespace Merx.Models.Classic;

/// <summary>
/// Content model on pre-trained text vectors (<see cref="TrainingData.Text"/>, all-MiniLM-L6-v2 by
/// default): an item is its unit-length text vector, a user the recency-weighted sum of their
/// history items' vectors (newest weight 1, each older one a further <see cref="RecencyDecay"/>),
/// a score the dot product. An item without text has a zero vector and scores 0 ("no evidence").
/// Like <see cref="ContentBased"/> (BM25 over words and attributes) it needs no interactions, so a
/// new item ranks like any other; unlike it, a paraphrase of a title lands near the title.
/// </summary>
public sealed class TextContent : IRecommender, IUserEncoder
{
    public const string ModelName = "text";
    private const int Version = 1;
    private float[] _vectors = [];  // (Items, D)
    private int _dim;

    public TextContent(float recencyDecay = 0.8f)
    {
        if (!(recencyDecay > 0 && recencyDecay <= 1)) throw new ArgumentOutOfRangeException(nameof(recencyDecay), "decay must be in (0, 1]");
        RecencyDecay = recencyDecay;
    }

    public float RecencyDecay { get; }
    public string Name => ModelName;
    public int ItemCount { get; private set; }
    public int Dimension => _dim;
    public VectorTable ItemVectors => _table is { } t && t.Wraps(_vectors) ? t : _table = VectorTable.OfFloats(_vectors, ItemCount, _dim);
    private VectorTable? _table;

    /// <exception cref="ArgumentException">The training data carries no text vectors, or none of its items has text.</exception>
    public void Fit(TrainingData data, FitOptions options)
    {
        var text = data.Text ?? throw new ArgumentException("the text model needs item text vectors, and none were computed for this data (does its catalog have titles or descriptions?)");
        if (text.ItemCount != data.ItemCount) throw new ArgumentException($"text vectors cover {text.ItemCount} items, the data has {data.ItemCount}");
        if (text.PresentCount == 0) throw new ArgumentException("no item of this data set has text: the text model has nothing to read");
        _dim = text.Dimension; ItemCount = text.ItemCount;
        _vectors = (float[])text.Values.Clone();
    }

    public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector) =>
        PretrainedVectors.RecencyWeightedSum(_vectors, _dim, history, RecencyDecay, vector);

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        Span<float> profile = stackalloc float[_dim];
        EncodeUser(user, history, profile);
        Numerics.Gemm.ABt(profile, _vectors, scores[..ItemCount], 1, _dim, ItemCount);
    }

    public ScoredItem[] SimilarItems(int item, int n)
    {
        if ((uint)item >= (uint)ItemCount) return [];
        var scores = new float[ItemCount];
        Numerics.Gemm.ABt(_vectors.AsSpan(item * _dim, _dim), _vectors, scores, 1, _dim, ItemCount);
        return ClassicHelpers.TopExcluding(scores, item, n);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(RecencyDecay); writer.Write(_dim); writer.Write(ItemCount);
        ModelIO.WriteArray(writer, _vectors);
    }

    public static TextContent Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, ModelName);
        var m = new TextContent(reader.ReadSingle()) { _dim = reader.ReadInt32(), ItemCount = reader.ReadInt32() };
        m._vectors = ModelIO.ReadArray<float>(reader);
        if (m._dim <= 0 || m.ItemCount < 0 || m._vectors.LongLength != (long)m._dim * m.ItemCount) throw new InvalidDataException("text payload is inconsistent");
        return m;
    }
}
