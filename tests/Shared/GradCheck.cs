namespace Merx.Tests.Shared;

/// <summary>
/// Central finite differences in double precision, the reference every backward pass is checked
/// against: dL/dx_i ≈ (L(x + h e_i) − L(x − h e_i)) / 2h.
/// </summary>
public static class GradCheck
{
    /// <summary>Numerical gradient of a scalar loss with respect to every element of <paramref name="x"/> (restored afterwards).</summary>
    public static double[] Numerical(double[] x, Func<double[], double> loss, double h = 1e-5)
    {
        var grad = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var keep = x[i];
            x[i] = keep + h; var plus = loss(x);
            x[i] = keep - h; var minus = loss(x);
            x[i] = keep;
            grad[i] = (plus - minus) / (2 * h);
        }
        return grad;
    }

    /// <summary>Asserts |a − n| ≤ atol + rtol·|n| element-wise, naming the first index that fails.</summary>
    public static void AssertClose(ReadOnlySpan<double> numerical, ReadOnlySpan<float> analytic, double rtol = 1e-2, double atol = 1e-4)
    {
        Assert.Equal(numerical.Length, analytic.Length);
        for (var i = 0; i < numerical.Length; i++)
        {
            var diff = Math.Abs(numerical[i] - analytic[i]);
            Assert.True(diff <= atol + rtol * Math.Abs(numerical[i]),
                $"gradient mismatch at {i}: analytic {analytic[i]:G6}, numerical {numerical[i]:G6}");
        }
    }
}
