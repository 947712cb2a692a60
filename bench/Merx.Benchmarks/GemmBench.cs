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
        var mhz = ReadMhz();
        var lanes = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : 8;
        var peak = Environment.ProcessorCount * 2 * lanes * 2 * mhz / 1000.0;
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
        Measure("logits H·Eᵀ", "ABt", 1000, 64, 12101);
        Measure("dH = dLogits·E", "AB", 1000, 12101, 64);
        Measure("dE = dLogitsᵀ·H", "AtB", 12101, 1000, 64);
        Measure("logits, one 165-row chunk", "ABt", 165, 64, 12101);
        Measure("dH, one chunk", "AB", 165, 12101, 64);
        Measure("dE, one chunk", "AtB", 12101, 165, 64);
        Measure("projection", "AB", 1000, 64, 64);
        Measure("FFN up", "AB", 1000, 64, 256);
        Measure("FFN down", "AB", 1000, 256, 64);
        Measure("weight grad", "AtB", 64, 1000, 256);
        Directory.CreateDirectory("bench/results");
        File.WriteAllText("bench/results/gemm.md",
            $"# GEMM throughput\n\n`dotnet run -c Release --project bench/Merx.Benchmarks -- gemm` on {Environment.ProcessorCount} cores, " +
            $"clock {mhz:F0} MHz from /proc/cpuinfo (assumed peak {peak:F0} GFLOP/s: cores × 2 FMA units × {lanes} float lanes × 2 flops; this machine has AVX2, not AVX-512). Median of 7 runs.\n\n" +
            "| use | layout | M×K×N | ms | GFLOP/s | of peak |\n|---|---|---|---|---|---|\n" + string.Join("\n", rows) + "\n");
        return 0;
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
