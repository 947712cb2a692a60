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
        Assert.InRange(vocab.GetProperty("dp_vocabulary_items").GetInt32(), 0, 200);
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
    }
}
