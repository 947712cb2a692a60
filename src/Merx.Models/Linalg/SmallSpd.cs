namespace Merx.Models.Linalg;

/// <summary>Cholesky solve of a small dense SPD system in double (k×k, k ≈ 16–256): ALS fold-in.</summary>
public static class SmallSpd
{
    /// <summary>Solves A·x = b in place: <paramref name="a"/> (k×k row-major) is overwritten by its factor, <paramref name="b"/> by x.</summary>
    /// <exception cref="ArgumentException">A is not positive definite.</exception>
    public static void Solve(Span<double> a, Span<double> b, int k)
    {
        for (var j = 0; j < k; j++)
        {
            var s = a[j * k + j];
            for (var p = 0; p < j; p++) s -= a[j * k + p] * a[j * k + p];
            if (!(s > 0)) throw new ArgumentException($"matrix is not positive definite at pivot {j}");
            var l = Math.Sqrt(s);
            a[j * k + j] = l;
            for (var i = j + 1; i < k; i++)
            {
                var t = a[i * k + j];
                for (var p = 0; p < j; p++) t -= a[i * k + p] * a[j * k + p];
                a[i * k + j] = t / l;
            }
        }
        for (var i = 0; i < k; i++)
        {
            var s = b[i];
            for (var p = 0; p < i; p++) s -= a[i * k + p] * b[p];
            b[i] = s / a[i * k + i];
        }
        for (var i = k - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var p = i + 1; p < k; p++) s -= a[p * k + i] * b[p];
            b[i] = s / a[i * k + i];
        }
    }
}
