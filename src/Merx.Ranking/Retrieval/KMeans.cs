using Merx.Numerics;
using System.Numerics.Tensors;

namespace Merx.Ranking.Retrieval;

/// <summary>
/// Lloyd's k-means, shared by the inverted file (<see cref="IvfIndex"/>: whole item vectors) and product quantization
/// (<see cref="PqScanIndex"/>: each run of coordinates).
/// </summary>
internal static class KMeans
{
    /// <summary>
    /// Centroids (c, d) of the rows of <paramref name="x"/> (n, d): c rows drawn at random to start (fewer when n &lt; c;
    /// the others start at zero), then <paramref name="iterations"/> rounds of assigning each row to its nearest centroid
    /// and moving each centroid to its rows' mean; a centroid left without rows restarts at a row drawn at random.
    /// </summary>
    public static float[] Fit(float[] x, int d, int c, int iterations, Random rng)
    {
        var n = x.Length / d;
        var centroids = new float[c * d];
        var picks = n == 0 ? [] : Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(c).ToArray();
        for (var k = 0; k < picks.Length; k++) x.AsSpan(picks[k] * d, d).CopyTo(centroids.AsSpan(k * d, d));
        var assign = new int[n];
        for (var it = 0; it < iterations && n > 0; it++)
        {
            Assign(x, centroids, d, c, assign);
            var sums = new double[c * d];
            var counts = new int[c];
            for (var s = 0; s < n; s++)
            {
                counts[assign[s]]++;
                for (var j = 0; j < d; j++) sums[assign[s] * d + j] += x[s * d + j];
            }
            for (var k = 0; k < c; k++)
            {
                if (counts[k] == 0) { x.AsSpan(rng.Next(n) * d, d).CopyTo(centroids.AsSpan(k * d, d)); continue; }
                for (var j = 0; j < d; j++) centroids[k * d + j] = (float)(sums[k * d + j] / counts[k]);
            }
        }
        return centroids;
    }

    /// <summary>Nearest centroid (L2) of each row: argmax over centroids of 2·x·c − |c|², in blocks through the GEMM (ties: the lower number).</summary>
    public static void Assign(ReadOnlySpan<float> x, float[] centroids, int d, int c, int[] assign)
    {
        var n = x.Length / d;
        var norms = new float[c];
        for (var k = 0; k < c; k++) norms[k] = TensorPrimitives.Dot<float>(centroids.AsSpan(k * d, d), centroids.AsSpan(k * d, d));
        const int block = 1024;
        var dots = new float[block * c];
        for (var r0 = 0; r0 < n; r0 += block)
        {
            var rows = Math.Min(block, n - r0);
            Gemm.ABt(x.Slice(r0 * d, rows * d), centroids, dots.AsSpan(0, rows * c), rows, d, c);
            for (var r = 0; r < rows; r++)
            {
                var best = 0; var bestValue = float.NegativeInfinity;
                for (var k = 0; k < c; k++)
                {
                    var v = 2 * dots[r * c + k] - norms[k];
                    if (v > bestValue) { bestValue = v; best = k; }
                }
                assign[r0 + r] = best;
            }
        }
    }
}
