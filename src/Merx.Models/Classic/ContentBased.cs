using Merx.Core.Contracts;
using Merx.Core.Data;

namespace Merx.Models.Classic;

/// <summary>
/// Content-based recommender over catalog side information (category path, brand, shop, price
/// band, tags, attributes, title/description tokens from <see cref="TrainingData.FeaturesWithText"/>).
/// Each item is a unit-length BM25-weighted feature vector (features are binary, so BM25 reduces to
/// idf × a length normalisation); a user's profile is the sum of their history items' vectors, the
/// newest weighted 1 and each older one by a further factor <see cref="RecencyDecay"/>; the score
/// is the cosine between profile and item. It needs no interactions, so items never seen in
/// training (new products) rank like any other.
/// </summary>
public sealed class ContentBased : IRecommender
{
    public const string ModelName = "content";
    private const int Version = 1;
    private int[] _ptr = [0];
    private int[] _feat = [];
    private float[] _w = [];
    private int _features;

    public ContentBased(float recencyDecay = 0.8f, float k1 = 1.2f, float b = 0.75f)
    {
        if (!(recencyDecay > 0 && recencyDecay <= 1)) throw new ArgumentOutOfRangeException(nameof(recencyDecay), "decay must be in (0, 1]");
        RecencyDecay = recencyDecay; K1 = k1; B = b;
    }

    public float RecencyDecay { get; }
    public float K1 { get; }
    public float B { get; }
    public string Name => ModelName;
    public int ItemCount => _ptr.Length - 1;

    public void Fit(TrainingData data, FitOptions options) => Build(data.FeaturesWithText);

    /// <summary>Builds the item vectors straight from a feature matrix (what Fit does with the training catalog).</summary>
    public void Build(ItemFeatures features)
    {
        var n = features.ItemCount; var f = features.FeatureCount;
        var df = new int[f];
        foreach (var id in features.Ids) df[id]++;
        var avgLen = n == 0 ? 1 : Math.Max(1e-9, features.Ids.Length / (double)n);
        _ptr = (int[])features.Offsets.Clone(); _feat = (int[])features.Ids.Clone(); _w = new float[_feat.Length]; _features = f;
        for (var i = 0; i < n; i++)
        {
            var len = _ptr[i + 1] - _ptr[i];
            var tf = (K1 + 1) / (1 + K1 * (1 - B + B * len / avgLen));
            double norm = 0;
            for (var t = _ptr[i]; t < _ptr[i + 1]; t++)
            {
                var idf = Math.Log(1 + (n - df[_feat[t]] + 0.5) / (df[_feat[t]] + 0.5));
                _w[t] = (float)(idf * tf);
                norm += (double)_w[t] * _w[t];
            }
            if (norm > 0)
                for (var t = _ptr[i]; t < _ptr[i + 1]; t++) _w[t] = (float)(_w[t] / Math.Sqrt(norm));
        }
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        var profile = new float[_features];
        var weight = 1f;
        for (var h = history.Length - 1; h >= 0; h--, weight *= RecencyDecay)
        {
            var item = history[h];
            if ((uint)item >= (uint)ItemCount) continue;
            for (var t = _ptr[item]; t < _ptr[item + 1]; t++) profile[_feat[t]] += weight * _w[t];
        }
        Cosine(profile, scores);
    }

    private void Cosine(float[] profile, Span<float> scores)
    {
        double norm = 0;
        foreach (var v in profile) norm += (double)v * v;
        var inv = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
        for (var j = 0; j < ItemCount; j++)
        {
            var s = 0f;
            for (var t = _ptr[j]; t < _ptr[j + 1]; t++) s += profile[_feat[t]] * _w[t];
            scores[j] = s * inv;
        }
    }

    public ScoredItem[] SimilarItems(int item, int n)
    {
        if ((uint)item >= (uint)ItemCount) return [];
        var profile = new float[_features];
        for (var t = _ptr[item]; t < _ptr[item + 1]; t++) profile[_feat[t]] = _w[t];
        var scores = new float[ItemCount];
        Cosine(profile, scores);
        return ClassicHelpers.TopExcluding(scores, item, n);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(RecencyDecay); writer.Write(K1); writer.Write(B); writer.Write(_features);
        ModelIO.WriteArray(writer, _ptr); ModelIO.WriteArray(writer, _feat); ModelIO.WriteArray(writer, _w);
    }

    public static ContentBased Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "content");
        var m = new ContentBased(reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle()) { _features = reader.ReadInt32() };
        m._ptr = ModelIO.ReadArray<int>(reader); m._feat = ModelIO.ReadArray<int>(reader); m._w = ModelIO.ReadArray<float>(reader);
        if (m._ptr.Length == 0 || m._ptr[^1] != m._feat.Length || m._w.Length != m._feat.Length || m._feat.Any(f => (uint)f >= (uint)m._features))
            throw new InvalidDataException("content payload is inconsistent");
        return m;
    }
}
