namespace Merx.Benchmarks;

/// <summary>Helpers the benchmarks share: where bench/results lives, the median they report, the load average they state.</summary>
internal static class BenchFiles
{
    /// <summary>The repository root (the folder holding Merx.slnx), searched up from the working directory and from the binary; the working directory when none is found.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Merx.slnx"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>Median of a non-empty sequence (mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    /// <summary>The 1-minute load average (Linux), to judge how contended the cores were; "n/a" elsewhere.</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "n/a"; }
    }
}
