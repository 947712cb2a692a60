using Merx.Core.Contracts;

namespace Merx.Models;

/// <summary>
/// A model that scores many histories at once faster than one Score call each (factor models:
/// one matrix product). Results must equal the single calls; the contract tests check it.
/// </summary>
public interface IBatchScorer
{
    /// <summary>Fills <paramref name="scores"/> (users.Length × ItemCount, row-major) for each (user, history) pair.</summary>
    void ScoreBatch(ReadOnlySpan<int> users, IReadOnlyList<int[]> histories, Span<float> scores);
}

public static class BatchScoring
{
    /// <summary>Batched scoring through <see cref="IBatchScorer"/> when the model has it, single calls otherwise.</summary>
    public static void ScoreBatch(this IRecommender model, ReadOnlySpan<int> users, IReadOnlyList<int[]> histories, Span<float> scores)
    {
        if (histories.Count != users.Length) throw new ArgumentException("one history per user", nameof(histories));
        var n = model.ItemCount;
        if (scores.Length < (long)users.Length * n) throw new ArgumentException($"scores needs {users.Length}×{n} entries", nameof(scores));
        if (model is IBatchScorer batch) { batch.ScoreBatch(users, histories, scores); return; }
        for (var r = 0; r < users.Length; r++) model.Score(users[r], histories[r], scores.Slice(r * n, n));
    }
}
