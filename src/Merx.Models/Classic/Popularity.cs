using Merx.Core.Contracts;

namespace Merx.Models.Classic;

/// <summary>
/// Non-personalized baselines. "pop": each item's score is the sum of its training events'
/// kind weights (all time). "trending": the same sum with each event decayed by
/// 2^(−age/half-life), age measured back from the newest training event, so recent activity
/// dominates. Every user (trained or not) gets the same scores.
/// </summary>
public sealed class Popularity : IRecommender
{
    public const string PopName = "pop";
    public const string TrendingName = "trending";
    private const int Version = 1;
    private float[] _scores = [];

    /// <param name="halfLifeSeconds">Null for all-time counts ("pop"); a half-life for "trending".</param>
    public Popularity(double? halfLifeSeconds = null)
    {
        if (halfLifeSeconds is { } h && !(h > 0)) throw new ArgumentOutOfRangeException(nameof(halfLifeSeconds), "half-life must be > 0");
        HalfLifeSeconds = halfLifeSeconds;
    }

    /// <summary>A "trending" model with a 7-day half-life.</summary>
    public static Popularity Trending(double halfLifeSeconds = 7 * 86400) => new(halfLifeSeconds);

    public double? HalfLifeSeconds { get; }
    public string Name => HalfLifeSeconds is null ? PopName : TrendingName;
    public int ItemCount => _scores.Length;

    /// <summary>The fitted per-item scores (weighted, possibly decayed, event counts).</summary>
    public ReadOnlySpan<float> ItemScores => _scores;

    public void Fit(TrainingData data, FitOptions options)
    {
        var train = data.Train;
        var scores = new double[data.ItemCount];
        var newest = train.Timestamps.Length == 0 ? 0 : train.Timestamps.Max();
        for (var e = 0; e < train.EventCount; e++)
        {
            double w = data.Weights[train.Kinds[e]];
            if (HalfLifeSeconds is { } h) w *= Math.Pow(2, -(newest - train.Timestamps[e]) / h);
            scores[train.Items[e]] += w;
        }
        _scores = Array.ConvertAll(scores, s => (float)s);
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => _scores.CopyTo(scores);

    /// <summary>Without co-occurrence information the most similar items are the most popular others.</summary>
    public ScoredItem[] SimilarItems(int item, int n) => ClassicHelpers.TopExcluding((float[])_scores.Clone(), item, n);

    public void Write(BinaryWriter writer)
    {
        writer.Write(Version);
        writer.Write(HalfLifeSeconds ?? 0);
        ModelIO.WriteArray(writer, _scores);
    }

    public static Popularity Read(BinaryReader reader)
    {
        ModelIO.CheckVersion(reader, Version, "popularity");
        var h = reader.ReadDouble();
        return new Popularity(h > 0 ? h : null) { _scores = ModelIO.ReadArray<float>(reader) };
    }
}
