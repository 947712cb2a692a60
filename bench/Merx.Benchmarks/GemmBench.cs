using System.Diagnostics;
using Merx.Numerics;

namespace Merx.Benchmarks;

/// <summary>
/// `gemm`: GFLOP/s of the fast GEMM on the shapes the Transformer uses on Amazon Beauty
/// (d = 64, 12,101 items, ~1,000 real tokens per batch), median of 7 runs after warm-up, and the
/// fraction of the machine's peak (cores × 2 FMA units × 16 lanes × 2 flops × clock).
/// </summary>
public sealed class GemmBench : IBenchCommand
{
    public string Name => "gemm";

    public int Run(string[] args)
    {
        if (args.Length == 2 && args[0] == "--threads") Gemm.MaxDegreeOfParallelism = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var mhz = ReadMhz();
        var (flopsPerCycle, why) = FlopsPerCycle();
        var peak = Environment.ProcessorCount * flopsPerCycle * mhz / 1000.0;
        var rows = new List<string>();
        void Measure(string what, string layout, int m, int k, int n)
        {
            var rng = new Random(42);
            var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray();
            var c = new float[m * n];
            Action op = layout switch
            {
                "AB" => () => Gemm.AB(a, b, c, m, k, n),
                "ABt" => () => Gemm.ABt(a, b, c, m, k, n),
                _ => () => Gemm.AtB(a, b, c, m, k, n),
            };
            op();
            var times = new List<double>();
            for (var r = 0; r < 15; r++) { var sw = Stopwatch.StartNew(); op(); times.Add(sw.Elapsed.TotalSeconds); }
            times.Sort();
            var gflops = 2.0 * m * k * n / times[7] / 1e9;
            var best = 2.0 * m * k * n / times[0] / 1e9;
            rows.Add($"| {what} | {layout} | {m}×{k}×{n} | {times[7] * 1000:F2} | {gflops:F1} | {gflops / peak:P0} | {best:F1} |");
            Console.WriteLine(rows[^1]);
        }
        // Beauty: ~750 real tokens per batch of 128 sequences (the full product before chunking is
        // shown for comparison); training runs the output layer in chunks of 162 rows (~8 MB of logits).
        Measure("logits H·Rᵀ, whole batch", "ABt", 750, 64, 12101);
        Measure("logits, one 162-row chunk (H·Rᵀ with Rᵀ stored)", "AB", 162, 64, 12101);
        Measure("dH = dZ·R, one chunk", "AB", 162, 12101, 64);
        Measure("dR += dZᵀ·H, one chunk", "AtB", 12101, 162, 64);
        Measure("(alternative, not used: dRᵀ = Hᵀ·dZ)", "AtB", 64, 162, 12101);
        Measure("attention q,k,v projection", "AB", 750, 64, 192);
        Measure("output projection / FFN", "AB", 750, 64, 64);
        Measure("dX = dY·Wᵀ (q,k,v)", "ABt", 750, 192, 64);
        Measure("weight gradient Xᵀ·dY (q,k,v)", "AtB", 64, 750, 192);
        Directory.CreateDirectory("bench/results");
        File.WriteAllText("bench/results/gemm.md",
            $"# GEMM throughput\n\n`dotnet run -c Release --project bench/Merx.Benchmarks -- gemm` on {Environment.ProcessorCount} cores, " +
            $"clock {mhz:F0} MHz from /proc/cpuinfo; peak {peak:F0} GFLOP/s = cores × {flopsPerCycle} flops/cycle × clock ({why}). " +
            $"Median of 15 runs (\"best\" = fastest run, the figure least disturbed by other processes); load average {BenchFiles.LoadAverage()} at the end.\n\n" +
            "| use | layout | M×K×N | ms | GFLOP/s | of peak | best GFLOP/s |\n|---|---|---|---|---|---|---|\n" + string.Join("\n", rows) + "\n");
        return 0;
    }

    /// <summary>
    /// Single-precision flops per cycle per core: 2 FMA pipes × lanes × 2. AMD Zen 4 (family 25)
    /// executes a 512-bit FMA as two 256-bit halves, so its AVX-512 peak equals its AVX2 peak (8 lanes).
    /// </summary>
    private static (int Flops, string Why) FlopsPerCycle()
    {
        var info = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "";
        var amdFamily25 = info.Contains("AuthenticAMD") && info.Contains("cpu family\t: 25");
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && !amdFamily25)
            return (64, "2 FMA units × 16 float lanes × 2 flops (AVX-512)");
        if (amdFamily25)
            return (32, "AMD Zen 3/4: 2 FMA pipes × 8 float lanes × 2 flops; Zen 4 runs AVX-512 as two 256-bit halves");
        return (32, "2 FMA units × 8 float lanes × 2 flops (AVX2)");
    }

    private static double ReadMhz()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz"));
            return line is null ? 2000 : double.Parse(line.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return 2000; }
    }
}
