using System.Text.Json;

namespace Merx.Cli.Tests;

/// <summary>`merx attack simulate` end to end on a small generated shop (issue 20, fake-profile attacks).</summary>
public sealed class AttackCommandTests() : CliTestBase("merx-attack-")
{
    [Fact]
    public void Simulate_WritesTheIssuesKeys_TopLevelForTheFirstModel_AndOneObjectPerModel()
    {
        Assert.Equal(0, Merx("generate", "--users", "300", "--items", "400", "--events", "9000", "--seed", "5", "--out", P("shop")).Code);
        var (code, output, err) = Merx("attack", "simulate", "--data", P("shop"), "--attack", "random,bandwagon", "--size", "0.04", "--filler", "0.25",
            "--models", "itemknn,pop", "--seed", "3", "--json", P("a-{attack}.json"));
        Assert.True(code == 0, err);
        Assert.Contains("detector:", err);
        Assert.Contains("| itemknn |", output);
        Assert.Contains("clean (bandwagon): the same data as the clean fits before, which are reused", err);
        Assert.Equal("bandwagon", Json(P("a-bandwagon.json")).GetProperty("attack").GetString());
        var root = Json(P("a-random.json"));
        Assert.Equal("random", root.GetProperty("attack").GetString());
        Assert.Equal(0.04, root.GetProperty("size").GetDouble());
        var genuine = root.GetProperty("genuine_users").GetInt32();
        Assert.Equal(300, genuine);
        Assert.Equal(12, root.GetProperty("fake_users").GetInt32());                  // 0.04 × 300
        Assert.Equal(100, root.GetProperty("filler_items_per_profile").GetInt32());   // 0.25 × 400 items
        Assert.Equal(5, root.GetProperty("targets").GetArrayLength());
        Assert.Equal(0, root.GetProperty("selected").GetArrayLength());
        var models = root.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["itemknn", "pop"], models.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("itemknn", root.GetProperty("headline_model").GetString());
        foreach (var key in new[] { "target_hr@10_clean", "target_hr@10_attacked", "target_hr@10_defended", "ndcg@10_clean", "ndcg@10_defended" })
        {
            Assert.Equal(models[0].GetProperty(key).GetDouble(), root.GetProperty(key).GetDouble());
            foreach (var m in models) Assert.InRange(m.GetProperty(key).GetDouble(), 0, 1);
        }
        // Twelve fakes each holding the five targets and 100 filler items (genuine users hold about 30): caught, all of them and only them.
        Assert.Equal(1, root.GetProperty("detection_precision").GetDouble());
        Assert.Equal(1, root.GetProperty("detection_recall").GetDouble());
        Assert.Equal(1, root.GetProperty("detection_f1").GetDouble());
        // Quarantining exactly the fakes leaves exactly the clean data: the defended figures are the clean fit's.
        Assert.True(root.GetProperty("defended_is_clean").GetBoolean());
        var knn = models[0];
        Assert.Equal(knn.GetProperty("target_hr@10_clean").GetDouble(), knn.GetProperty("target_hr@10_defended").GetDouble());
        Assert.Equal(knn.GetProperty("ndcg@10_clean").GetDouble(), knn.GetProperty("ndcg@10_defended").GetDouble());
        Assert.Equal(1, knn.GetProperty("gain_cut").GetDouble());
        // …and the attack does push the targets to item-kNN's genuine users (0.0154 → 0.1109 when recorded).
        Assert.True(knn.GetProperty("target_hr@10_attacked").GetDouble() > 3 * knn.GetProperty("target_hr@10_clean").GetDouble());
    }

    [Fact]
    public void Simulate_BadArguments_GiveOneClearLine()
    {
        var (code, _, err) = Merx("attack", "simulate", "--data", P("nowhere"), "--attack", "random", "--size", "0");
        Assert.Equal(1, code);
        Assert.Contains("attack size 0 must be in (0, 1]", err);
        (code, _, err) = Merx("attack", "simulate", "--data", P("nowhere"), "--attack", "random", "--models", "gpt");
        Assert.Equal(1, code);
        Assert.Contains("unknown model 'gpt'", err);
        (code, _, err) = Merx("attack", "simulate", "--data", P("nowhere"), "--attack", "random,sybil");
        Assert.Equal(1, code);
        Assert.Contains("unknown attack 'sybil'", err);
        (code, _, err) = Merx("attack", "simulate", "--data", P("nowhere"), "--attack", "random,random");
        Assert.Equal(1, code);
        Assert.Contains("names an attack twice", err);
        (code, _, err) = Merx("attack", "simulate", "--data", P("nowhere"), "--attack", "random,segment", "--json", P("one.json"));
        Assert.Equal(1, code);
        Assert.Contains("needs {attack} in its path", err);
    }
}
