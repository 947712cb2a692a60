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
    public void A_simulated_log_goes_through_the_store_to_merx_ope_with_the_examination_model_estimates()
    {
        // Issue #23: Thompson sampling logs redrawn propensities and presences into a SQLite store; `merx ope` reads them
        // back and writes each target's item-position and examination-model estimates beside the simulator's truth.
        Assert.Equal(0, Merx("generate", "--users", "300", "--items", "400", "--events", "9000", "--seed", "5", "--out", P("shop")).Code);
        var (code, _, err) = Merx("simulate", "--data", P("shop"), "--policies", "thompson", "--rounds", "1500", "--slate", "5", "--seeds", "1",
            "--candidates", "40", "--threads", "1", "--log-db", P("log.db"), "--propensity-draws", "20000", "--ope-targets", "ranked,ranked:0.3", "--ope-truth", P("truth.json"));
        Assert.True(code == 0, err);
        (code, var output, err) = Merx("ope", "--db", P("log.db"), "--policies", "ranked,ranked:0.3", "--truth", P("truth.json"), "--examination", "dcg", "--json", P("ope.json"));
        Assert.True(code == 0, err);
        Assert.Contains("examination model (dcg)", output);
        var root = JsonDocument.Parse(File.ReadAllText(P("ope.json"))).RootElement;
        Assert.Equal("dcg", root.GetProperty("examination").GetString());
        Assert.Equal(1500, root.GetProperty("lists").GetInt32());
        foreach (var policy in root.GetProperty("policies").EnumerateArray())
        {
            var exam = policy.GetProperty("exam_ips");
            Assert.True(exam.GetProperty("lo").GetDouble() <= exam.GetProperty("estimate").GetDouble());
            Assert.True(exam.GetProperty("covers_truth").GetBoolean(), policy.ToString());
            Assert.True(policy.GetProperty("exam_effective_lists").GetDouble() > policy.GetProperty("effective_lists").GetDouble());
        }
        // By default θ is estimated on the same lists (the simulator's is 1/log2(slot + 2); coverage is tested on larger logs
        // in OffPolicyEstimatorTests) and written with its intervals.
        (code, output, err) = Merx("ope", "--db", P("log.db"), "--policies", "ranked,ranked:0.3", "--truth", P("truth.json"), "--json", P("ope-estimate.json"));
        Assert.True(code == 0, err);
        Assert.Contains("examination model estimated from the log", output);
        root = JsonDocument.Parse(File.ReadAllText(P("ope-estimate.json"))).RootElement;
        Assert.Equal("estimate", root.GetProperty("examination").GetString());
        var fit = root.GetProperty("examination_fit");
        var theta = fit.GetProperty("theta").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(5, theta.Length);
        Assert.Equal(1.0, theta.Max(), 9);
        Assert.True(theta[0] > theta[4], string.Join(", ", theta));
        var lo = fit.GetProperty("lo").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var hi = fit.GetProperty("hi").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        for (var j = 0; j < 5; j++) Assert.InRange(theta[j], lo[j], hi[j]);
        Assert.Equal(200, fit.GetProperty("resamples").GetInt32());
        foreach (var policy in root.GetProperty("policies").EnumerateArray())
        {
            var exam = policy.GetProperty("exam_ips");
            Assert.InRange(exam.GetProperty("estimate").GetDouble(), exam.GetProperty("lo").GetDouble(), exam.GetProperty("hi").GetDouble());
            Assert.True(exam.TryGetProperty("covers_truth", out _));
        }
        // 'none' leaves them out; a bad model is one clear line.
        (code, output, _) = Merx("ope", "--db", P("log.db"), "--policies", "ranked", "--examination", "none");
        Assert.Equal(0, code);
        Assert.DoesNotContain("examination model", output);
        (code, _, err) = Merx("ope", "--db", P("log.db"), "--policies", "ranked", "--examination", "1,0.5,2");
        Assert.Equal(1, code);
        Assert.Contains("not a probability in (0, 1]", err);
        (code, _, err) = Merx("ope", "--db", P("log.db"), "--policies", "ranked", "--examination", "1,0.5");
        Assert.Equal(1, code);
        Assert.Contains("gives 2 slot(s)", err);
    }

    [Fact]
    public void Merx_ope_says_why_a_log_of_the_exploit_slate_alone_gives_no_estimated_examination_curve()
    {
        // The exploit slate always shows rank j in slot j: position and relevance cannot be told apart. The item-position
        // estimates are still written; the examination-model ones are left out with the reason, on the console and in the JSON.
        Assert.Equal(0, Merx("generate", "--users", "200", "--items", "300", "--events", "6000", "--seed", "6", "--out", P("fixed-shop")).Code);
        var (code, _, err) = Merx("simulate", "--data", P("fixed-shop"), "--policies", "ranked", "--rounds", "400", "--slate", "5", "--seeds", "1",
            "--candidates", "40", "--threads", "1", "--log-db", P("fixed.db"));
        Assert.True(code == 0, err);
        (code, var output, err) = Merx("ope", "--db", P("fixed.db"), "--policies", "ranked,ranked:0.2", "--json", P("fixed.json")); // the default: --examination estimate
        Assert.True(code == 0, err);
        Assert.Contains("cannot separate position from relevance", output);
        var root = JsonDocument.Parse(File.ReadAllText(P("fixed.json"))).RootElement;
        Assert.Contains("cannot separate position from relevance", root.GetProperty("examination_note").GetString());
        Assert.False(root.TryGetProperty("examination_fit", out _));
        Assert.All(root.GetProperty("policies").EnumerateArray(), p => { Assert.True(p.TryGetProperty("ips", out _)); Assert.False(p.TryGetProperty("exam_ips", out _)); });
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
