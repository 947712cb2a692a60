using System.Text.Json;
using Merx.Cli;

namespace Merx.Cli.Tests;

/// <summary>`merx simulate` as a user runs it, on a small generated shop.</summary>
public sealed class SimulateCommandTests() : CliTestBase("merx-sim-")
{
    [Fact]
    public void Simulate_WritesTheCheckedJson_TheReport_AndAReplayLog()
    {
        Assert.Equal(0, Merx("generate", "--users", "300", "--items", "400", "--events", "9000", "--seed", "5", "--out", P("shop")).Code);
        var (code, output, err) = Merx("simulate", "--data", P("shop"), "--policies", "greedy,thompson,dynamic", "--rounds", "400", "--slate", "5", "--seeds", "2",
            "--candidates", "50", "--threads", "1", "--replay", "3000", "--replay-log", P("log.tsv"), "--json", P("s.json"), "--report", P("s.html"));
        Assert.True(code == 0, err);
        Assert.Contains("| dynamic |", output);
        Assert.Contains("simulate: seed 2", err);
        var policies = JsonDocument.Parse(File.ReadAllText(P("s.json"))).RootElement.GetProperty("policies").EnumerateArray().ToList();
        Assert.Equal(["greedy", "thompson", "dynamic"], policies.Select(p => p.GetProperty("name").GetString()));
        foreach (var p in policies)
            foreach (var key in new[] { "reward_mean", "reward_sd", "regret_mean", "coverage_mean", "discovery_mean", "replay_ctr", "replay_matches" })
                Assert.True(p.TryGetProperty(key, out _), $"{p.GetProperty("name")} lacks {key}");
        Assert.Contains("<svg", File.ReadAllText(P("s.html")));
        Assert.Equal(3001, File.ReadAllLines(P("log.tsv")).Length);
    }

    [Fact]
    public void Simulate_BadArguments_GiveOneClearLine()
    {
        var (code, _, err) = Merx("simulate", "--data", P("nowhere"), "--policies", "softmax");
        Assert.Equal(1, code);
        Assert.Contains("unknown policy 'softmax'", err);
        (code, _, err) = Merx("simulate", "--data", P("nowhere"), "--slate", "0");
        Assert.Equal(1, code);
        Assert.StartsWith("merx: ", err);
        (code, _, err) = Merx("simulate", "--data", P("nowhere"), "--replay-log", P("x.tsv"));
        Assert.Equal(1, code);
        Assert.Contains("--replay", err);
    }
}
