using Merx.Ranking.Bandits;

namespace Merx.Evaluation.Simulation;

/// <summary>Mean and sample standard deviation over seeds of one policy's figures.</summary>
public sealed record PolicySummary(string Name, int Seeds, double RewardMean, double RewardSd, double RegretMean, double RegretSd,
    double CoverageMean, double CoverageSd, double EffectiveCoverage, double DiscoveryMean, double DiscoverySd, double ExploredShare, double Ctr, double SecondsMean,
    double[] RewardCurve, double[] RewardCurveSd, double[] RegretCurve)
{
    /// <summary>Explored share of established users' slots, of new users' slots, and new users' share of all slots (means over seeds).</summary>
    public double ExploredEstablished { get; init; }
    public double ExploredNew { get; init; }
    public double NewUserSlots { get; init; }
    /// <summary>The Dynamic policy's mean share of requests per arm (empty for fixed policies).</summary>
    public IReadOnlyList<(string Arm, double Share)> ArmUse { get; init; } = [];

    public static PolicySummary From(string name, IReadOnlyList<SimulationRun> runs, int slate, int rounds)
    {
        static (double Mean, double Sd) Ms(IEnumerable<double> xs)
        {
            var a = xs.ToArray();
            var m = a.Average();
            return (m, a.Length > 1 ? Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / (a.Length - 1)) : 0);
        }
        var (r, rs) = Ms(runs.Select(x => x.Reward)); var (g, gs) = Ms(runs.Select(x => x.Regret));
        var (c, cs) = Ms(runs.Select(x => x.Coverage)); var (d, ds) = Ms(runs.Select(x => x.Discovery));
        var points = runs[0].RewardCurve.Length;
        var curve = new double[points]; var curveSd = new double[points]; var regret = new double[points];
        for (var p = 0; p < points; p++)
        {
            (curve[p], curveSd[p]) = Ms(runs.Select(x => x.RewardCurve[p]));
            regret[p] = runs.Average(x => x.RegretCurve[p]);
        }
        return new PolicySummary(name, runs.Count, r, rs, g, gs, c, cs, runs.Average(x => x.EffectiveCoverage), d, ds, runs.Average(x => x.ExploredShare), r / ((double)rounds * slate),
            runs.Average(x => x.Seconds), curve, curveSd, regret)
        {
            ExploredEstablished = runs.Average(x => x.ExploredEstablished), ExploredNew = runs.Average(x => x.ExploredNew), NewUserSlots = runs.Average(x => x.NewUserSlots),
            ArmUse = runs[0].ArmUse is { Count: > 0 } arms ? arms.Select((a, i) => (a.Arm, runs.Average(x => x.ArmUse![i].Share))).ToArray() : [],
        };
    }
}

/// <summary>
/// Runs every policy on every seed of a world: one <see cref="SimulatedShop"/> per seed shared by the
/// policies, runs spread over the machine's cores, progress to <c>progress</c>.
/// </summary>
public static class SimulationRunner
{
    /// <summary>
    /// Runs the named policies (see <see cref="BanditPolicies.Create"/>; "egreedy" without a value
    /// also runs ε = 0.05 and 0.2 so the best fixed ε can be compared) and summarises them.
    /// </summary>
    public static IReadOnlyList<PolicySummary> Run(SimulationWorld world, IReadOnlyList<string> policies, IProgress<string>? progress = null,
        DynamicOptions? dynamic = null, int threads = 0)
    {
        var o = world.Options;
        var specs = Expand(policies);
        foreach (var s in specs) BanditPolicies.Create(s); // fail fast on a bad name
        var runs = new List<SimulationRun>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        for (var i = 0; i < o.Seeds; i++)
        {
            var seed = o.FirstSeed + i;
            var shop = new SimulatedShop(world, seed, progress);
            progress?.Report($"simulate: seed {seed}: {shop.Visitors.Length:N0} visitors, {o.Rounds:N0} rounds × slate {o.Slate}");
            var seedRuns = new SimulationRun[specs.Count];
            Parallel.For(0, specs.Count, parallel, j =>
            {
                var policy = BanditPolicies.Create(specs[j], shop.Encoder, seed, dynamic);
                var run = seedRuns[j] = Simulator.Run(shop, policy, specs[j]);
                progress?.Report($"simulate: seed {seed} {specs[j],-14} reward {run.Reward,6:F0}  regret {run.Regret,7:F0}  coverage {run.Coverage:F3} (eff {run.EffectiveCoverage:F3})  discovery {run.Discovery,5:F0}  explored {run.ExploredShare:P0} (established {run.ExploredEstablished:P1}, new {run.ExploredNew:P1})  ({run.Seconds:F1} s){(run.ArmUse is { Count: > 0 } a ? "  arms " + string.Join(" ", a.Select(x => $"{x.Arm} {x.Share:P0}")) : "")}");
            });
            runs.AddRange(seedRuns);
        }
        return specs.Select(s => PolicySummary.From(s, runs.Where(r => r.Policy == s).ToList(), o.Slate, o.Rounds)).ToList();
    }

    public static IReadOnlyList<string> Expand(IReadOnlyList<string> policies)
    {
        var specs = new List<string>();
        foreach (var p in policies)
        {
            specs.Add(p);
            if (p == "egreedy") { specs.Add("egreedy:0.05"); specs.Add("egreedy:0.2"); }
        }
        return specs.Distinct().ToList();
    }
}
