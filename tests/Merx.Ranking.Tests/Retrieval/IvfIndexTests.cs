using Merx.Core.Contracts;
using Merx.Ranking.Retrieval;

namespace Merx.Ranking.Tests.Retrieval;

public sealed class IvfIndexTests
{
    private static (float[] Vectors, int N, int D) Clustered(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var centers = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var v = new float[n * d];
        for (var i = 0; i < n; i++)
        {
            var c = centers[rng.Next(centers.Length)];
            for (var j = 0; j < d; j++) v[i * d + j] = c[j] + (float)(rng.NextDouble() - 0.5) * 0.6f;
        }
        return (v, n, d);
    }

    private static int[] Exact(float[] v, int d, float[] q, int k, Func<int, bool>? ok = null)
    {
        var n = v.Length / d;
        var s = new float[n];
        for (var i = 0; i < n; i++) s[i] = ok is null || ok(i) ? System.Numerics.Tensors.TensorPrimitives.Dot<float>(v.AsSpan(i * d, d), q) : float.NegativeInfinity;
        return TopK.Select(s, k).Select(x => x.Item).ToArray();
    }

    [Fact]
    public void Probing_every_cluster_is_exact()
    {
        var (v, n, d) = Clustered(3000, 16, 1);
        var index = IvfIndex.Build(v, d, clusters: 40);
        Assert.Equal(n, index.Count);
        var rng = new Random(2);
        for (var t = 0; t < 10; t++)
        {
            var q = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            Assert.Equal(Exact(v, d, q, 20), index.Search(q, 20, probes: 40).Select(s => s.Item).ToArray());
        }
    }

    [Fact]
    public void A_few_probes_keep_most_of_the_true_top_items_and_honour_the_filter()
    {
        var (v, _, d) = Clustered(20_000, 32, 3);
        var index = IvfIndex.Build(v, d);
        var rng = new Random(4);
        double recall = 0;
        const int queries = 30;
        for (var t = 0; t < queries; t++)
        {
            var q = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            Func<int, bool> even = i => i % 2 == 0;
            var got = index.Search(q, 50, probes: index.Clusters / 8, even).Select(s => s.Item).ToArray();
            Assert.All(got, i => Assert.True(i % 2 == 0));
            recall += got.Intersect(Exact(v, d, q, 50, even)).Count() / 50.0;
        }
        Assert.True(recall / queries > 0.9, $"recall@50 {recall / queries:F3} with 1/8 of the clusters probed");
    }
}
