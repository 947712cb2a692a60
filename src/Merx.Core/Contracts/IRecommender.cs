namespace Merx.Core.Contracts;

/// <summary>
/// The one contract every model implements (popularity, item-kNN, EASE, ALS, BPR, content, the
/// Transformer, hybrids). Models are pure algorithms: they never touch storage or HTTP.
/// </summary>
public interface IRecommender
{
    /// <summary>Short stable name used on the CLI and in model files: "pop", "ease", "sasrec", …</summary>
    string Name { get; }

    /// <summary>Number of items the fitted model scores (indices 0..ItemCount-1).</summary>
    int ItemCount { get; }

    /// <summary>Fits on training data; iterative models early-stop on <see cref="TrainingData.Validation"/>.</summary>
    void Fit(TrainingData data, FitOptions options);

    /// <summary>
    /// Writes a score for every item into <paramref name="scores"/> (length ItemCount) for a user
    /// whose history (oldest first) is <paramref name="history"/>. <paramref name="user"/> is the
    /// training user index, or -1 for a user the model was not trained on; models must answer from
    /// the history alone in that case, so that a new event changes the next answer at once.
    /// </summary>
    void Score(int user, ReadOnlySpan<int> history, Span<float> scores);

    /// <summary>Items most similar to <paramref name="item"/> (the item itself excluded), best first.</summary>
    ScoredItem[] SimilarItems(int item, int n);

    /// <summary>Writes the fitted state (the caller adds the versioned, checksummed envelope).</summary>
    void Write(BinaryWriter writer);
}

public static class RecommenderExtensions
{
    /// <summary>Top-<paramref name="n"/> items for a history with filters applied.</summary>
    public static ScoredItem[] Recommend(this IRecommender model, int user, ReadOnlySpan<int> history, int n, RecommendFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var scores = new float[model.ItemCount];
        model.Score(user, history, scores);
        (filter ?? RecommendFilter.Default).Apply(history, scores);
        return TopK.Select(scores, n);
    }
}
