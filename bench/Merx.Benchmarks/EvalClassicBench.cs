using System.Diagnostics;
using System.Text;
using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Evaluation.Harness;
using Merx.Models;
using Merx.Models.Classic;

namespace Merx.Benchmarks;

/// <summary>
/// `eval-classic [--models pop,itemknn,…] [--seed 42] [--out bench/results]`: every classic model on
/// Amazon Beauty, leave-one-out, full ranking; writes classic-beauty.md/json/html.
/// </summary>
public sealed class EvalClassicBench : IBenchCommand
{
    public string Name => "eval-classic";

    private static readonly Dictionary<string, Func<IRecommender>> Models = new()
    {
        ["pop"] = () => new Popularity(),
        ["itemknn"] = () => new ItemKnn(),
        ["ease"] = () => new Ease([10f, 40f, 160f]),
        ["als"] = () => new Als(),
        ["bpr"] = () => new Bpr(),
        ["content"] = () => new ContentBased(),
        ["hybrid"] = () => new Hybrid([new ItemKnn(), new ContentBased()]),
    };

    public int Run(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var seed = int.Parse(Arg("--seed", "42"));
        var names = Arg("--models", string.Join(",", Models.Keys)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var folder = EvalBeautyData.DatasetsRoot() is { } root ? Path.Combine(root, "amazon-beauty") : null;
        if (folder is null || !File.Exists(Path.Combine(folder, "Beauty.txt")))
        {
            Console.Error.WriteLine("eval-classic: ../shared/datasets/amazon-beauty/Beauty.txt not found; nothing to do");
            return 2;
        }
        var outDir = Arg("--out", Path.Combine(EvalBeautyData.RepoRoot() ?? ".", "bench", "results"));
        var clock = Stopwatch.StartNew();
        var (seq, _, catalog) = EvalBeautyData.Load(folder);
        var split = Splitter.LeaveOneOut(seq);
        Console.WriteLine($"Beauty: {seq.UserCount} users, {seq.ItemCount} items, {seq.EventCount} interactions; {split.Test.Count} test users (loaded in {clock.Elapsed.TotalSeconds:F1} s)");
        var specs = names.Select(n => (n, Models.TryGetValue(n, out var f) ? f : () => ModelRegistry.Create(n))).ToList();
        var run = EvaluationRunner.Run(split, new EvaluationInputs("amazon-beauty", catalog), specs, seed, new ConsoleProgress());
        Console.WriteLine(run.ToTable());
        Directory.CreateDirectory(outDir);
        run.WriteJson(Path.Combine(outDir, "classic-beauty.json"));
        run.WriteHtml(Path.Combine(outDir, "classic-beauty.html"));
        File.WriteAllText(Path.Combine(outDir, "classic-beauty.md"), Markdown(run, args, seed, clock.Elapsed));
        Console.WriteLine($"wrote {outDir}/classic-beauty.md|json|html in {clock.Elapsed.TotalMinutes:F1} min");
        return 0;
    }

    private static string Markdown(EvaluationRun run, string[] args, int seed, TimeSpan total)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Classic models on Amazon Beauty (leave-one-out, full ranking)");
        sb.AppendLine();
        sb.AppendLine($"Command: `dotnet run -c Release --project bench/Merx.Benchmarks -- eval-classic {string.Join(' ', args)}` (seed {seed}).");
        sb.AppendLine($"Data: {run.Users} users, {run.Items} items (S3-Rec 5-core Beauty.txt; attributes as tags). Protocol: last item test, second-last validation; items in the input excluded; ranked against all other items.");
        sb.AppendLine($"Machine: {Environment.ProcessorCount} cores (shared with other jobs while this ran), .NET {Environment.Version}. Total wall time {total.TotalMinutes:F1} min.");
        sb.AppendLine("Intervals: 95% percentile bootstrap over test users (1,000 resamples, seeded).");
        sb.AppendLine();
        sb.Append(run.ToMarkdown());
        sb.AppendLine();
        var dot = run.Models.FirstOrDefault(m => m.Name == "bpr" && m.Result is not null) ?? run.Models.FirstOrDefault(m => m.Name == "als" && m.Result is not null);
        if (dot is not null)
            sb.AppendLine($"Evaluation speed for a dot-product model ({dot.Name}: batched user·itemᵀ scoring, full ranking, all metrics): {dot.Result!.UsersPerSecond:F0} users/s over {dot.Result.Cases} users.");
        return sb.ToString();
    }

    /// <summary>Prints on the calling thread (Progress&lt;T&gt; posts to the thread pool and can reorder lines).</summary>
    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {value}");
    }
}
