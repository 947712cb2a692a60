using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Merx.Privacy.Pseudonymization;

namespace Merx.Benchmarks;

/// <summary>
/// `pseudonymize`: cost of <see cref="Pseudonymizer"/> per user id (ns/id on one thread, median of
/// 7 passes over 200,000 distinct ids like "customer-123456"), and ids/s with one worker per core,
/// beside two alternatives it was chosen over (a fresh one-shot HMACSHA256.HashData per id, and one
/// HMACSHA256 instance). `dotnet run -c Release --project bench/Merx.Benchmarks -- pseudonymize [--ids N]`
/// </summary>
public sealed class PseudonymizeBench : IBenchCommand
{
    public string Name => "pseudonymize";

    public int Run(string[] args)
    {
        var n = args.Length >= 2 && args[0] == "--ids" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
        var ids = Enumerable.Range(0, n).Select(i => "customer-" + (1_000_000 + i).ToString(CultureInfo.InvariantCulture)).ToArray();
        var key = PseudonymKey.Parse("v1:bench-key-0123456789abcdef0123456789abcdef");
        using var p = new Pseudonymizer(key);
        var secret = Encoding.UTF8.GetBytes("bench-key-0123456789abcdef0123456789abcdef");

        double Median(Action pass)
        {
            pass();
            var t = new List<double>();
            for (var r = 0; r < 7; r++) { var sw = Stopwatch.StartNew(); pass(); t.Add(sw.Elapsed.TotalNanoseconds / n); }
            t.Sort();
            return t[3];
        }

        var rows = new List<string>();
        void Row(string what, double ns) { rows.Add($"| {what} | {ns:F0} | {1e9 / ns:N0} |"); Console.WriteLine(rows[^1]); }

        Row("Pseudonymizer.Pseudonymize(id, span) (no allocation)", Median(() =>
        {
            Span<char> buf = stackalloc char[64];
            foreach (var id in ids) p.Pseudonymize(id, buf);
        }));
        Row("Pseudonymizer.Pseudonymize(id) → string", Median(() => { foreach (var id in ids) _ = p.Pseudonymize(id); }));
        Row("alternative: HMACSHA256.HashData one-shot per id", Median(() =>
        {
            Span<byte> mac = stackalloc byte[32];
            Span<byte> bytes = stackalloc byte[256];
            foreach (var id in ids) { var k = Encoding.UTF8.GetBytes(id, bytes); HMACSHA256.HashData(secret, bytes[..k], mac); }
        }));
        using var inst = new HMACSHA256(secret);
        Row("alternative: one HMACSHA256 instance, TryComputeHash", Median(() =>
        {
            Span<byte> mac = stackalloc byte[32];
            Span<byte> bytes = stackalloc byte[256];
            foreach (var id in ids) { var k = Encoding.UTF8.GetBytes(id, bytes); inst.TryComputeHash(bytes[..k], mac, out _); }
        }));

        var workers = Environment.ProcessorCount;
        var parallelTimes = new List<double>();
        for (var r = 0; r < 5; r++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                Span<char> buf = stackalloc char[64];
                for (var i = w; i < ids.Length; i += workers) p.Pseudonymize(ids[i], buf);
            });
            parallelTimes.Add(sw.Elapsed.TotalSeconds);
        }
        parallelTimes.Sort();
        var parallelRate = n / parallelTimes[2];
        Console.WriteLine($"{workers} threads: {parallelRate:N0} ids/s (median of 5)");

        Directory.CreateDirectory("bench/results");
        File.WriteAllText("bench/results/pseudonymize.md",
            $"# Pseudonymization cost\n\n`dotnet run -c Release --project bench/Merx.Benchmarks -- pseudonymize --ids {n}` on {Environment.ProcessorCount} cores " +
            $"(load average at start {LoadAverage()}). {n:N0} distinct ids `customer-NNNNNNN`, median of 7 passes after a warm-up pass, one thread.\n\n" +
            "| what | ns/id | ids/s |\n|---|---|---|\n" + string.Join("\n", rows) +
            $"\n\nPseudonymizer on {workers} threads (one per core, shared instance, per-thread HMAC): **{parallelRate:N0} ids/s** (median of 5).\n");
        return 0;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; } catch (IOException) { return "?"; }
    }
}
