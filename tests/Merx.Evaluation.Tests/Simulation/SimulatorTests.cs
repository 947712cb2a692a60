using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Evaluation.Simulation;
using Merx.Ranking.Bandits;

namespace Merx.Evaluation.Tests.Simulation;

public sealed class SimulatorTests
{
    /// <summary>A small shop: 300 users, each buying within two of six categories of 50 items.</summary>
    internal static Dataset Shop()
    {
        var b = new DatasetBuilder();
        for (var i = 0; i < 300; i++) b.AddItem(new Item { Id = "i" + i, CategoryPath = ["root", "c" + i / 50] });
        var rng = new Random(3);
        for (var u = 0; u < 300; u++)
        {
            var cats = new[] { rng.Next(6), rng.Next(6) };
            var len = 6 + rng.Next(10);
            var seen = new HashSet<int>();
            for (var t = 0; t < len; t++)
            {
                var cat = cats[t % 2];
                var item = cat * 50 + (int)(50 * Math.Pow(rng.NextDouble(), 2));
                if (seen.Add(item)) b.AddEvent(new RawEvent("u" + u, "i" + item, EventKind.Purchase, t));
            }
        }
        return b.Build();
    }

    private static readonly SimulationOptions Small = new() { Rounds = 1500, Slate = 5, Seeds = 2, Candidates = 40, DiscoveryCandidates = 10, TruthDepth = 100, Users = 100 };

    [Fact]
    public void World_TruthFollowsRankCalibration_AndCategoriesComeFromTheCatalog()
    {
        var world = SimulationWorld.Build("shop", Shop(), Small);
        Assert.Equal(6, world.CategoryCount);
        var top = world.TruthRanking(0);
        Assert.Equal(Small.TopCtr, world.Truth(0, top[0]), 6);
        Assert.True(world.Truth(0, top[0]) > world.Truth(0, top[50]));
        Assert.True(world.Truth(0, top[^1]) >= Small.FloorCtr);
    }

    [Fact]
    public void Runs_AreDeterministic_AndExplorationWidensCoverage()
    {
        var world = SimulationWorld.Build("shop", Shop(), Small);
        var summaries = SimulationRunner.Run(world, ["greedy", "thompson", "dynamic", "dynamic:0.1"], threads: 1);
        var again = SimulationRunner.Run(world, ["greedy"], threads: 1);
        var greedy = summaries[0];
        Assert.Equal(greedy.RewardMean, again[0].RewardMean);
        Assert.All(summaries, s => Assert.InRange(s.CoverageMean, 0.01, 1));
        Assert.All(summaries, s => Assert.True(s.RewardMean > 0 && s.RegretMean > 0));
        Assert.True(summaries[2].EffectiveCoverage > greedy.EffectiveCoverage);
        Assert.True(summaries[1].CoverageMean >= greedy.CoverageMean);
        Assert.Equal(0, greedy.ExploredShare);
        // The budgeted meta-policy: established users' explored share ≤ 0.1 up to one slate's burst; new users have their own cap.
        Assert.InRange(summaries[3].ExploredEstablished, 0.01, 0.1 + 1.0 / (Small.Rounds * Small.Slate * (1 - summaries[3].NewUserSlots)));
        Assert.InRange(summaries[3].ExploredNew, 0, new ExplorationBudget().NewUsers + 1e-9);
        Assert.Equal(new DynamicOptions().Arms, summaries[2].ArmUse.Select(a => a.Arm));
        Assert.Equal(1, summaries[2].ArmUse.Sum(a => a.Share), 9);
    }

    [Fact]
    public void TransformerVectors_AreTrainedOnTheObservedData_AndReusedFromTheCache()
    {
        var dir = Path.Combine(Path.GetTempPath(), "merx-sim-enc-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = Small with { Seeds = 1, Rounds = 200, Vectors = "sasrec", EncoderCache = dir, EncoderEpochs = 2 };
            var world = SimulationWorld.Build("shop", Shop(), o);
            var lines = new List<string>();
            var progress = new Progress(lines.Add);
            var first = new SimulatedShop(world, 1, progress);
            Assert.IsType<Merx.Models.Sequential.SasRec>(first.Encoder);
            Assert.Equal(world.ItemCount, first.Encoder.ItemVectors.Count);
            Assert.Contains(lines, l => l.Contains("training the Transformer", StringComparison.Ordinal));
            // The server's recipe: early stopping on held-out second-last items, then the refit on them.
            var sasrec = (Merx.Models.Sequential.SasRec)first.Encoder;
            Assert.InRange(sasrec.BestEpoch, 1, 2);
            Assert.Equal(2 + sasrec.BestEpoch, sasrec.EpochsRun);
            Assert.Contains(lines, l => l.Contains("refit", StringComparison.Ordinal));
            Assert.Single(Directory.GetFiles(dir));
            var second = new SimulatedShop(world, 1, progress);
            Assert.Contains(lines, l => l.Contains("Transformer read from", StringComparison.Ordinal));
            Assert.Equal(first.Encoder.ItemVectors.ToArray(), second.Encoder.ItemVectors.ToArray());
            // The policies run on its vectors.
            var run = Simulator.Run(first, BanditPolicies.Create("lints", first.Encoder, 1), "lints");
            Assert.True(run.Reward > 0);
            Assert.Throws<ArgumentException>(() => (Small with { Vectors = "bert" }).Validate());
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    /// <summary>A synchronous progress sink (System.Progress posts to the thread pool).</summary>
    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) { lock (this) report(value); }
    }

    /// <summary>A data set may list users who have no events (ML-1M's users.dat beside a subset of the ratings): they never visit.</summary>
    [Fact]
    public void Users_WithoutEvents_AreNotDrawnAsVisitors()
    {
        var b = new DatasetBuilder();
        for (var i = 0; i < 40; i++) b.AddItem(new Item { Id = "i" + i, CategoryPath = ["root", "c" + i / 10] });
        for (var u = 0; u < 30; u++)
            for (var t = 0; t < 6; t++) b.AddEvent(new RawEvent("u" + u, "i" + (u + 7 * t) % 40, EventKind.Purchase, t));
        for (var u = 30; u < 90; u++) b.AddUser(new UserProfile { Id = "u" + u });
        var o = new SimulationOptions { Rounds = 300, Slate = 5, Seeds = 1, Candidates = 20, DiscoveryCandidates = 5, TruthDepth = 30, Users = 80, Vectors = "cooccurrence" };
        var world = SimulationWorld.Build("listed", b.Build(), o);
        Assert.Equal(90, world.UserCount);
        var shop = new SimulatedShop(world, 1);
        Assert.Equal(30, shop.Visitors.Length);
        Assert.All(shop.Visitors, u => Assert.True(shop.Observed(u).Length > 0));
    }

    [Fact]
    public void Report_WritesTheCheckedJsonFields()
    {
        var world = SimulationWorld.Build("shop", Shop(), Small with { Seeds = 1, Rounds = 300 });
        var report = new SimulationReport("shop", world.UserCount, world.ItemCount, world.CategoryCount, world.Options, SimulationRunner.Run(world, ["greedy", "egreedy"], threads: 1));
        var path = Path.Combine(Path.GetTempPath(), "merx-sim-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            report.WriteJson(path);
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var policies = doc.RootElement.GetProperty("policies").EnumerateArray().ToList();
            Assert.Equal(["greedy", "egreedy", "egreedy:0.05", "egreedy:0.2"], policies.Select(p => p.GetProperty("name").GetString()));
            foreach (var f in new[] { "reward_mean", "reward_sd", "regret_mean", "coverage_mean", "discovery_mean", "effective_coverage_mean", "explored_share", "explored_share_established", "explored_share_new" })
                Assert.All(policies, p => Assert.Equal(System.Text.Json.JsonValueKind.Number, p.GetProperty(f).ValueKind));
            Assert.Contains("<svg", report.ToHtml());
        }
        finally { File.Delete(path); }
    }
}
