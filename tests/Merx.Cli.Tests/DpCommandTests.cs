using Merx.Privacy.Accounting;
using System.Text.Json;
using Merx.Storage.Sqlite;

namespace Merx.Cli.Tests;

/// <summary>`merx evaluate` and `merx train` with --dp-epsilon (issue #7): the spent (ε, δ) is reported, bad values get clear errors.</summary>
public sealed class DpCommandTests() : CliTestBase("merx-dp-")
{
    [Fact]
    public void Evaluate_WithDpEpsilon_ReportsEpsilonAndDeltaSpent_PerModel()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        var (code, _, err) = Merx("evaluate", "--data", P("shop"), "--models", "bpr,sasrec", "--dp-epsilon", "4", "--dp-epochs", "1", "--seed", "3", "--json", P("dp.json"));
        Assert.True(code == 0, err);
        Assert.Contains("ε spent", err);                                     // progress: steps and ε so far
        var run = Json(P("dp.json"));
        var users = run.GetProperty("users").GetInt32();
        foreach (var m in run.GetProperty("models").EnumerateArray())
        {
            var eps = m.GetProperty("epsilon").GetDouble();
            Assert.InRange(eps, 3.5, 4.0);                                   // σ is calibrated so the plan ends at the target
            Assert.Equal(1.0 / users, m.GetProperty("delta").GetDouble(), 12);
            Assert.True(m.GetProperty("dp_steps").GetInt64() >= 1);
            Assert.True(m.GetProperty("ndcg@10").ValueKind == System.Text.Json.JsonValueKind.Number);
            Assert.False(m.TryGetProperty("dp_vocabulary_items", out _));     // no id vocabulary by default
        }
        (code, _, err) = Merx("evaluate", "--data", P("shop"), "--models", "sasrec", "--dp-epsilon", "4", "--dp-epochs", "1", "--dp-vocab-share", "0.1", "--seed", "3", "--json", P("vocab.json"));
        Assert.True(code == 0, err);
        Assert.Contains("keep their own id embedding", err);
        var vocab = Json(P("vocab.json")).GetProperty("models")[0];
        // The JSON's vocabulary is the one the run announced (every generated item has side information, so the
        // items keeping their id are exactly the released vocabulary), and the release kept some items but not all (issue 16).
        var announced = System.Text.RegularExpressions.Regex.Match(err, @"(\d[\d,]*) of 200 items keep their own id embedding");
        Assert.True(announced.Success, err);
        Assert.Equal(int.Parse(announced.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture), vocab.GetProperty("dp_vocabulary_items").GetInt32());
        Assert.InRange(vocab.GetProperty("dp_vocabulary_items").GetInt32(), 1, 199);
        Assert.True(vocab.GetProperty("dp_vocabulary_noise_multiplier").GetDouble() > 0);
        Assert.InRange(vocab.GetProperty("epsilon").GetDouble(), 3.5, 4.0);  // release + steps end at the target
        (code, _, err) = Merx("evaluate", "--data", P("shop"), "--models", "pop", "--json", P("plain.json"));
        Assert.True(code == 0, err);
        Assert.False(Json(P("plain.json")).GetProperty("models")[0].TryGetProperty("epsilon", out _), "a non-private run reports no ε");
    }

    [Theory]
    [InlineData("--dp-epsilon", "0", "--dp-epsilon must be a finite number > 0")]
    [InlineData("--dp-epsilon", "-2", "--dp-epsilon must be a finite number > 0")]
    [InlineData("--dp-epsilon", "NaN", "--dp-epsilon must be a finite number > 0")]
    [InlineData("--dp-delta", "1", "--dp-delta must be in (0, 1)")]
    [InlineData("--dp-delta", "0", "--dp-delta must be in (0, 1)")]
    [InlineData("--dp-clip", "-1", "--dp-clip must be a finite number > 0")]
    [InlineData("--dp-rate", "2", "--dp-rate must be in (0, 1]")]
    [InlineData("--dp-vocab-share", "1", "--dp-vocab-share must be in [0, 1)")]
    public void BadDpValues_GiveClearErrors(string option, string value, string message)
    {
        string[] extra = option == "--dp-epsilon" ? [option, value] : ["--dp-epsilon", "8", option, value];
        foreach (var command in new[] { "evaluate", "train" })
        {
            string[] target = command == "evaluate" ? ["--data", P("nowhere"), "--models", "sasrec"] : ["--db", P("nowhere.db")];
            var (code, _, err) = Merx([command, .. target, .. extra]);
            Assert.Equal(1, code);
            Assert.Contains(message, err);
            Assert.DoesNotContain("   at ", err);
        }
    }

    [Fact]
    public void DpOptions_NeedAPrivateModel_AndDpEpsilon()
    {
        var (code, _, err) = Merx("evaluate", "--data", P("nowhere"), "--models", "pop", "--dp-epsilon", "8");
        Assert.Equal(1, code);
        Assert.Contains("model 'pop' has no private training", err);
        (code, _, err) = Merx("evaluate", "--data", P("nowhere"), "--models", "sasrec", "--dp-delta", "0.001");
        Assert.Equal(1, code);
        Assert.Contains("need --dp-epsilon", err);
    }

    [Fact]
    public void Train_WithDpEpsilon_PublishesAVersionWhoseMetricsRecordEpsilonAndDelta()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "8", "--out", P("shop"));
        Merx("import", "--data", P("shop"), "--db", P("t.db"));
        var (code, output, err) = Merx("train", "--db", P("t.db"), "--dp-epsilon", "8", "--dp-epochs", "1");
        Assert.True(code == 0, err);
        Assert.Contains("published sasrec", output);
        Assert.Contains("ε = ", output);
        using var store = SqliteStore.Open(P("t.db"));
        var metrics = System.Text.Json.JsonDocument.Parse(store.LatestModel("sasrec")!.MetricsJson).RootElement;
        Assert.InRange(metrics.GetProperty("epsilon").GetDouble(), 7.0, 8.0);
        Assert.True(metrics.GetProperty("delta").GetDouble() is > 0 and < 1);
        Assert.Null(store.LatestModel("itemknn"));                          // the default list's non-private models are not trained under --dp-epsilon
        Assert.True(metrics.GetProperty("epsilon_rdp").GetDouble() > metrics.GetProperty("epsilon").GetDouble()); // PLD planned it; RDP would say more
        Assert.Equal(1, metrics.GetProperty("dp_accountant_pld").GetDouble());
    }

    [Fact]
    public void Evaluate_ReportsWhichAccountantAndBothEpsilons_AndPldNeedsLessNoise()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        JsonElement Run(params string[] extra)
        {
            var (code, _, err) = Merx(["evaluate", "--data", P("shop"), "--models", "bpr", "--dp-epsilon", "2", "--dp-epochs", "2", "--dp-rate", "0.2", "--seed", "3", "--json", P("a.json"), .. extra]);
            Assert.True(code == 0, err);
            Assert.Contains(extra.Length == 0 || extra[1].Equals("pld", StringComparison.OrdinalIgnoreCase) ? "PLD accountant" : "RDP accountant", err);
            return Json(P("a.json")).GetProperty("models")[0];
        }
        var pld = Run();
        var rdp = Run("--dp-accountant", "rdp");
        var pld2 = Run("--dp-accountant", "PLD");
        Assert.Equal("pld", pld.GetProperty("dp_accountant").GetString());
        Assert.Equal("rdp", rdp.GetProperty("dp_accountant").GetString());
        Assert.Equal(pld.GetProperty("dp_noise_multiplier").GetDouble(), pld2.GetProperty("dp_noise_multiplier").GetDouble());
        // Each run's ε is its own accountant's; the other's is reported for the same run.
        Assert.Equal(pld.GetProperty("epsilon_pld").GetDouble(), pld.GetProperty("epsilon").GetDouble(), 6);
        Assert.Equal(rdp.GetProperty("epsilon_rdp").GetDouble(), rdp.GetProperty("epsilon").GetDouble(), 6);
        Assert.InRange(pld.GetProperty("epsilon").GetDouble(), 1.9, 2.0);
        Assert.InRange(rdp.GetProperty("epsilon").GetDouble(), 1.9, 2.0);
        Assert.True(pld.GetProperty("epsilon_rdp").GetDouble() > 2);        // RDP cannot certify the PLD-planned run at the target
        Assert.True(rdp.GetProperty("epsilon_pld").GetDouble() < 1.9);      // and PLD says the RDP-planned run spent less than it claims
        Assert.True(pld.GetProperty("dp_noise_multiplier").GetDouble() < rdp.GetProperty("dp_noise_multiplier").GetDouble());
        Assert.Equal(1.0 / pld.GetProperty("delta").GetDouble(), 1.0 / rdp.GetProperty("delta").GetDouble(), 6);
    }

    [Fact]
    public void BadAccountant_GetsAClearError_AndNeedsDpEpsilon()
    {
        var (code, _, err) = Merx("evaluate", "--data", P("nowhere"), "--models", "sasrec", "--dp-epsilon", "8", "--dp-accountant", "moments");
        Assert.Equal(1, code);
        Assert.Contains("--dp-accountant must be pld or rdp (got 'moments')", err);
        (code, _, err) = Merx("train", "--db", P("nowhere.db"), "--dp-accountant", "rdp");
        Assert.Equal(1, code);
        Assert.Contains("need --dp-epsilon", err);
    }

    [Fact]
    public void DpPlan_PrintsSigmaByBothAccountants_AndRefusesBadInput()
    {
        var (code, output, err) = Merx("dp-plan", "--epsilon", "2,8", "--rate", "0.1", "--steps", "50", "--delta", "1e-5", "--json", P("plan.json"));
        Assert.True(code == 0, err);
        Assert.Contains("σ PLD", output);
        var plans = Json(P("plan.json")).GetProperty("plans");
        Assert.Equal(2, plans.GetArrayLength());
        foreach (var p in plans.EnumerateArray())
        {
            var eps = p.GetProperty("epsilon").GetDouble();
            var sp = p.GetProperty("sigma_pld").GetDouble();
            Assert.Equal(RdpAccountant.NoiseMultiplierFor(eps, 1e-5, 0.1, 50, tolerance: 1e-3), p.GetProperty("sigma_rdp").GetDouble(), 5);
            Assert.True(sp < p.GetProperty("sigma_rdp").GetDouble());
            Assert.InRange(PldAccountant.Epsilon(0.1, sp, 50, 1e-5, gridStep: p.GetProperty("pld_grid_step").GetDouble()), 0.99 * eps, eps);
            Assert.True(p.GetProperty("epsilon_rdp_at_sigma_pld").GetDouble() > eps);
        }
        foreach (var (args, message) in new (string[], string)[]
        {
            (["--epsilon", "0", "--rate", "0.1", "--steps", "10", "--delta", "1e-5"], "--epsilon: '0' is not a finite number > 0"),
            (["--epsilon", "1", "--rate", "1.5", "--steps", "10", "--delta", "1e-5"], "--rate must be in (0, 1]"),
            (["--epsilon", "1", "--rate", "0.1", "--steps", "0", "--delta", "1e-5"], "--steps must be ≥ 1"),
            (["--epsilon", "1", "--rate", "0.1", "--steps", "10", "--delta", "1"], "--delta must be in (0, 1)"),
        })
        {
            (code, _, err) = Merx(["dp-plan", .. args]);
            Assert.Equal(1, code);
            Assert.Contains(message, err);
        }
    }
}
