using Merx.Core.Contracts;
using Merx.Evaluation.Retrieval;
using Merx.Ranking.Retrieval;

namespace Merx.Evaluation.Tests.Retrieval;

public class IndexBenchTests
{
    // 30 items share the best vector (a trained model's untrained items are their features alone); the rest score lower.
    private static (float[] Vectors, float[] Queries) TiedCatalog()
    {
        const int n = 300, d = 4;
        var rng = new Random(7);
        var vectors = new float[n * d];
        for (var i = 0; i < n; i++)
        {
            if (i < 30) vectors[i * d] = 1f;
            else for (var t = 0; t < d; t++) vectors[i * d + t] = (float)(rng.NextDouble() * 0.4);
        }
        return (vectors, [1f, 0, 0, 0, 0.9f, 0.1f, 0, 0]);
    }

    [Fact]
    public void Recall_CountsIdsExactly_AndTiesByScore()
    {
        var (vectors, queries) = TiedCatalog();
        IndexBench.Candidate Fixed(string name, Func<int, int[]> answer) => new(name, _ => new FixedIndex(name, answer));
        var results = IndexBench.Run(vectors, queries, 4,
        [
            Fixed("exact", k => Enumerable.Range(0, k).ToArray()),           // the exact order: ids 0…k−1 of the tied block first
            Fixed("other-ties", k => Enumerable.Range(30 - Math.Min(k, 30), Math.Min(k, 30)).Reverse().ToArray()), // other members of the tied block
            Fixed("worst", k => Enumerable.Range(300 - k, k).ToArray()),     // low scorers
        ], epsilon: 0);
        Assert.Equal(1.0, results[0].RecallAt10, 6);
        Assert.Equal(1.0, results[0].RecallAt10Epsilon, 6);
        Assert.Equal(0.0, results[1].RecallAt10, 6);       // ids 20…29: none of the exact top 10's ids …
        Assert.Equal(1.0, results[1].RecallAt10Epsilon, 6);   // … but every one scores as high
        Assert.True(results[2].RecallAt10Epsilon < 0.1);
        Assert.True(results[2].RecallAt10 < 0.1);
    }

    [Fact]
    public void NormRanks_PlaceTheExactAnswersAmongTheLongestVectors()
    {
        // The 30 tied items have norm 1, every other below 0.8: the exact top 10 (ids 0…9) are norm ranks 0…9 (ties by id).
        var (vectors, queries) = TiedCatalog();
        var result = IndexBench.Run(vectors, queries, 4, [new("exact", _ => new FixedIndex("exact", k => Enumerable.Range(0, k).ToArray()))])[0];
        Assert.Equal(9, result.ExactTop10MaxNormRank);
        Assert.Equal(1.0, result.ExactTop100InHead);   // the default head holds all 300
        for (var i = 10; i < 30; i++) vectors[i * 4 + 3] = 0.5f;   // longer, in a direction the queries ignore: same top 10, now norm ranks 20…29
        Assert.Equal(29, IndexBench.Run(vectors, queries, 4, [new("exact", _ => new FixedIndex("exact", k => Enumerable.Range(0, k).ToArray()))])[0].ExactTop10MaxNormRank);
    }

    [Fact]
    public void EpsilonRecall_CountsNearTies_WithinItsTolerance()
    {
        // Items 0…9 score 1.0; items 10…19 score 0.995 (within 1 % of the 10th best), the rest below 0.4.
        var (vectors, _) = TiedCatalog();
        for (var i = 10; i < 20; i++) vectors[i * 4] = 0.995f;
        float[] query = [1f, 0, 0, 0];
        var near = new IndexBench.Candidate("near", _ => new FixedIndex("near", k => Enumerable.Range(10, Math.Min(k, 10)).ToArray()));
        var strict = IndexBench.Run(vectors, query, 4, [near], epsilon: 0)[0];
        var loose = IndexBench.Run(vectors, query, 4, [near], epsilon: 0.01)[0];
        Assert.Equal(0.0, strict.RecallAt10, 6);
        Assert.Equal(0.0, strict.RecallAt10Epsilon, 6);    // 0.995 is not a tie of 1.0 …
        Assert.Equal(1.0, loose.RecallAt10Epsilon, 6);     // … but is within ε = 0.01 of it
        Assert.Equal(0.01, loose.Epsilon);
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexBench.Run(vectors, query, 4, [near], epsilon: -1));
    }

    private sealed class FixedIndex(string name, Func<int, int[]> answer) : IItemIndex
    {
        public string Name => name;
        public int Count => 300;
        public double BytesPerItem => 0;
        public ScoredItem[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? admissible = null) =>
            answer(k).Select(i => new ScoredItem(i, 0)).ToArray();
    }
}
