using Merx.Core.Contracts;
using Merx.Core.Splits;

namespace Merx.Models.Classic;

/// <summary>How <see cref="Hybrid"/> combines its components' scores.</summary>
public enum FusionMode
{
    /// <summary>Σ w_m · (s_m − min_m)/(max_m − min_m): each model's scores min-max normalised per query.</summary>
    WeightedScore = 0,
    /// <summary>Σ w_m / (60 + rank_m) over each model's top <see cref="Hybrid.RrfDepth"/> items (reciprocal-rank fusion).</summary>
    ReciprocalRank = 1,
}

/// <summary>
/// Fuses any list of recommenders (for example EASE + content so new items still surface). Fit
/// fits every component on the same data, then tunes the weights by coordinate search on
/// validation NDCG@10 when <see cref="TuneWeights"/> is set.
/// </summary>
public sealed class Hybrid : IRecommender
{
    public const string ModelName = "hybrid";
    public const int RrfDepth = 1000;
    private const int Version = 1;
    private const float RrfK = 60f;
    private readonly IRecommender[] _models;
    private float[] _weights;

    public Hybrid(IReadOnlyList<IRecommender> models, IReadOnlyList<float>? weights = null, FusionMode mode = FusionMode.WeightedScore, bool tuneWeights = true, int validationUsers = 1000)
    {
        if (models.Count == 0) throw new ArgumentException("a hybrid needs at least one model", nameof(models));
        if (weights is not null && weights.Count != models.Count) throw new ArgumentException("one weight per model", nameof(weights));
        _models = models.ToArray();
        _weights = weights?.ToArray() ?? Enumerable.Repeat(1f, models.Count).ToArray();
        Mode = mode; TuneWeights = tuneWeights; ValidationUsers = validationUsers;
    }

    public IReadOnlyList<IRecommender> Models => _models;
    public IReadOnlyList<float> Weights => _weights;
    public FusionMode Mode { get; }
    public bool TuneWeights { get; }
    public int ValidationUsers { get; }
    public string Name => ModelName;
    public int ItemCount => _models[0].ItemCount;

    public void Fit(TrainingData data, FitOptions options)
    {
        foreach (var m in _models)
        {
            options.Progress?.Report($"hybrid: fitting {m.Name}");
            m.Fit(data, options);
            if (m.ItemCount != data.ItemCount) throw new InvalidOperationException($"component {m.Name} scores {m.ItemCount} items, expected {data.ItemCount}");
        }
        if (TuneWeights && _models.Length > 1 && data.Validation.Count > 0)
            Tune(ClassicHelpers.Sample(data.Validation, ValidationUsers, options.Seed), options);
    }

    /// <summary>Coordinate search: scale one weight at a time by ×0, ×0.5, ×2 while validation NDCG@10 improves.</summary>
    private void Tune(IReadOnlyList<EvalCase> val, FitOptions options)
    {
        var best = ClassicHelpers.ValidationNdcg(this, val);
        for (var round = 0; round < 3; round++)
        {
            var improved = false;
            for (var m = 0; m < _models.Length; m++)
                foreach (var factor in new[] { 0f, 0.5f, 2f })
                {
                    var old = _weights[m];
                    _weights[m] = old * factor;
                    var score = _weights.Any(w => w > 0) ? ClassicHelpers.ValidationNdcg(this, val) : double.NegativeInfinity;
                    if (score > best + 1e-6) { best = score; improved = true; }
                    else _weights[m] = old;
                }
            options.Progress?.Report($"hybrid: weights [{string.Join(", ", _weights.Select(w => w.ToString("G3")))}] validation NDCG@10={best:F4}");
            if (!improved) break;
        }
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        scores.Clear();
        var part = new float[ItemCount];
        for (var m = 0; m < _models.Length; m++)
        {
            if (_weights[m] == 0) continue;
            _models[m].Score(user, history, part);
            if (Mode == FusionMode.WeightedScore) AddNormalized(part, _weights[m], scores);
            else AddReciprocalRank(part, _weights[m], scores);
        }
    }

    private static void AddNormalized(float[] part, float weight, Span<float> scores)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var s in part)
            if (float.IsFinite(s)) { min = Math.Min(min, s); max = Math.Max(max, s); }
        if (!(max > min)) return;
        var scale = weight / (max - min);
        for (var i = 0; i < part.Length; i++)
            if (float.IsFinite(part[i])) scores[i] += (part[i] - min) * scale;
    }

    private static void AddReciprocalRank(float[] part, float weight, Span<float> scores)
    {
        var top = TopK.Select(part, RrfDepth);
        for (var r = 0; r < top.Length; r++) scores[top[r].Item] += weight / (RrfK + r + 1);
    }

    /// <summary>Weighted sum of the components' similar-item lists fused like scores.</summary>
    public ScoredItem[] SimilarItems(int item, int n)
    {
        var fused = new float[ItemCount];
        for (var m = 0; m < _models.Length; m++)
        {
            var list = _models[m].SimilarItems(item, Math.Max(n, 50));
            for (var r = 0; r < list.Length; r++) fused[list[r].Item] += _weights[m] / (RrfK + r + 1);
        }
        return ClassicHelpers.TopExcluding(fused, item, n).Where(s => s.Score > 0).ToArray();
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write((int)Mode); writer.Write(TuneWeights); writer.Write(ValidationUsers);
        writer.Write(_models.Length);
        for (var m = 0; m < _models.Length; m++)
        {
            writer.Write(_weights[m]);
            writer.Write(_models[m].Name);
            _models[m].Write(writer);
        }
    }

    public static Hybrid Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "hybrid");
        var mode = (FusionMode)reader.ReadInt32(); var tune = reader.ReadBoolean(); var valUsers = reader.ReadInt32();
        var count = reader.ReadInt32();
        if (count is < 1 or > 64) throw new InvalidDataException("hybrid payload is inconsistent");
        var models = new IRecommender[count]; var weights = new float[count];
        for (var m = 0; m < count; m++)
        {
            weights[m] = reader.ReadSingle();
            models[m] = ModelRegistry.Read(reader.ReadString(), reader);
        }
        return new Hybrid(models, weights, mode, tune, valUsers);
    }
}
