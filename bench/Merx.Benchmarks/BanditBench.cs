using System.Diagnostics;
using System.Globalization;
using System.Text;
using Merx.Core.Contracts;
using Merx.Ranking.Bandits;

namespace Merx.Benchmarks;

/// <summary>
/// Per-request cost of each explore/exploit policy: one selection of a slate of 10 from 200 scored
/// candidates with a 64-dimensional user vector, and the 10 updates (one per shown item) that the
/// feedback of that slate brings. Policies first learn from 2,000 warm-up requests so their tables
/// and heads are populated. Reports the median and p99 over 20,000 timed requests, in µs, and
/// appends them to bench/results/bandits-latency.md.
/// With <c>--propensity-draws D</c> the policies without closed-form propensities also estimate them by
/// geometric redraws capped at D (<see cref="BanditPolicy.PropensityDraws"/>), deferred as the server does
/// them: "select" then includes freezing the slate's distribution (the request path's share), and the
/// redraws themselves (the serving log's share, off the request path) are timed per list apart, with
/// the draws they took; <c>--policies a,b</c> limits the run.
/// <c>bandits [--requests N] [--dim D] [--candidates C] [--slate K] [--seed S] [--propensity-draws D] [--policies a,b]</c>
/// </summary>
public sealed class BanditBench : IBenchCommand
{
    public string Name => "bandits";

    public int Run(string[] args)
    {
        int requests = 20_000, dim = 64, candidates = 200, slate = 10, seed = 42, items = 10_000;
        var draws = 0; IReadOnlyList<string> names = BanditPolicies.Names;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--policies") { names = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); continue; }
            var v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--propensity-draws": draws = v; break;
                case "--requests": requests = v; break;
                case "--dim": dim = v; break;
                case "--candidates": candidates = v; break;
                case "--slate": slate = v; break;
                case "--seed": seed = v; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        var encoder = new RandomEncoder(items, dim, seed);
        var rng = new Random(seed);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"\n## {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores: {candidates} candidates, slate {slate}, user vector d={dim}, {requests:N0} timed requests (seed {seed})\n");
        if (draws > 0) sb.AppendLine(CultureInfo.InvariantCulture, $"Propensities by geometric redraws (cap {draws:N0}) where the policy has no closed form, deferred: select includes freezing the slate's distribution; the redraws (off the request path) are timed per list (timed requests only).\n");
        sb.AppendLine("| policy | select p50 µs | select p99 µs | update µs (per item) | request total p50 µs (select + K updates) |" + (draws > 0 ? " redraws per list p50 / p99 ms (off the request path) | draws per list: mean / max | capped slots |" : ""));
        sb.AppendLine("|---|---|---|---|---|" + (draws > 0 ? "---|---|---|" : ""));
        foreach (var name in names)
        {
            var policy = BanditPolicies.Create(name, encoder, seed);
            if (policy is BanditPolicy b) b.DeferPropensities = true; // redraws from the first timed request on (not in the warm-up)
            var sel = new double[requests]; var upd = new double[requests]; var redraw = new double[requests];
            var sw = new Stopwatch();
            for (var t = -2000; t < requests; t++)
            {
                if (t == 0 && policy is BanditPolicy timed) timed.PropensityDraws = draws;
                var (request, cands) = Request(rng, encoder, dim, candidates, items);
                sw.Restart();
                var decision = policy.Select(request, cands, slate);
                var s = sw.Elapsed.TotalMicroseconds;
                sw.Restart();
                if (decision.Pending is { } pending) decision = pending.Apply(decision);
                var r = sw.Elapsed.TotalMicroseconds;
                sw.Restart();
                for (var j = 0; j < decision.Picks.Length; j++)
                {
                    var p = decision.Picks[j];
                    policy.Update(new BanditFeedback { Request = request, Item = p.Item, ExploitRank = p.ExploitRank, Slot = j, Clicked = (p.Item & 31) == 0, SlateSize = slate });
                }
                var u = sw.Elapsed.TotalMicroseconds;
                if (t >= 0) { sel[t] = s; upd[t] = u; redraw[t] = r; }
            }
            var total = sel.Zip(upd, (a, b) => a + b).ToArray();
            Array.Sort(sel); Array.Sort(upd); Array.Sort(total); Array.Sort(redraw);
            var line = string.Format(CultureInfo.InvariantCulture, "| {0} | {1:F1} | {2:F1} | {3:F2} | {4:F1} |", name, sel[requests / 2], sel[requests * 99 / 100], upd[requests / 2] / slate, total[requests / 2]);
            if (draws > 0 && policy is BanditPolicy { PropensityStats: var st })
                line += string.Format(CultureInfo.InvariantCulture, " {0:F2} / {1:F2} | {2:F0} / {3:N0} | {4:N0} of {5:N0} |", redraw[requests / 2] / 1000, redraw[requests * 99 / 100] / 1000,
                    st.Lists > 0 ? (double)st.Draws / st.Lists : 0, st.MaxDraws, st.CappedSlots, st.Slots);
            Console.WriteLine(line);
            sb.AppendLine(line);
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"\nCommand: `dotnet run -c Release --project bench/Merx.Benchmarks -- bandits --requests {requests} --dim {dim} --candidates {candidates} --slate {slate} --seed {seed}{(draws > 0 ? $" --propensity-draws {draws}" : "")}{(names == BanditPolicies.Names ? "" : " --policies " + string.Join(',', names))}`");
        var path = Path.Combine(FindResults(), "bandits-latency.md");
        if (!File.Exists(path)) File.WriteAllText(path, "# Explore/exploit policies: cost per request\n\nMeasured by `BanditBench` (bench/Merx.Benchmarks/BanditBench.cs). Selection includes sorting the candidates by exploit score; \"update\" is one `Update` call (one shown item).\n");
        File.AppendAllText(path, sb.ToString());
        Console.WriteLine($"appended to {path}");
        return 0;
    }

    private static (BanditRequest, BanditCandidate[]) Request(Random rng, RandomEncoder encoder, int dim, int n, int items)
    {
        var user = new float[dim];
        for (var j = 0; j < dim; j++) user[j] = (float)(rng.NextDouble() * 2 - 1) / MathF.Sqrt(dim);
        var cands = new BanditCandidate[n];
        var start = rng.Next(items - n);
        for (var i = 0; i < n; i++) cands[i] = new BanditCandidate((start + i * 7) % items, (float)rng.NextDouble(), (start + i) % 50);
        var known = new HashSet<int> { 1, 2, 3 };
        return (new BanditRequest { UserKey = "u" + rng.Next(1000), UserVector = user, HistoryLength = rng.Next(50), RecentImpressions = rng.Next(30), RecentClicks = rng.Next(3), KnownCategories = known }, cands);
    }

    private static string FindResults()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "bench", "results"))) dir = dir.Parent;
        return dir is null ? Directory.GetCurrentDirectory() : Path.Combine(dir.FullName, "bench", "results");
    }

    private sealed class RandomEncoder : IUserEncoder
    {
        private readonly float[] _items;
        public RandomEncoder(int items, int dim, int seed)
        {
            var rng = new Random(seed);
            Dimension = dim;
            _items = new float[items * dim];
            for (var i = 0; i < _items.Length; i++) _items[i] = (float)(rng.NextDouble() * 2 - 1) / MathF.Sqrt(dim);
        }
        public int Dimension { get; }
        public Merx.Numerics.VectorTable ItemVectors => Merx.Numerics.VectorTable.OfFloats(_items, _items.Length / Dimension, Dimension);
        public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector) => vector[..Dimension].Clear();
    }
}
