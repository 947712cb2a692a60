using System.Text.Json;
using Merx.Cli;

namespace Merx.Cli.Tests;

/// <summary>The `merx` commands as a user runs them, on a small generated shop in a temporary folder.</summary>
public sealed class CliEndToEndTests() : CliTestBase("merx-cli-")
{
    [Fact]
    public void GenerateImportStats_RoundTrip_FromFilesAndFromTheStore()
    {
        Assert.Equal(0, Merx("generate", "--users", "200", "--items", "300", "--events", "6000", "--seed", "3", "--out", P("shop")).Code);
        Assert.Equal(0, Merx("import", "--data", P("shop"), "--db", P("m.db")).Code);
        Assert.Equal(0, Merx("stats", "--data", P("shop"), "--json", P("files.json")).Code);
        Assert.Equal(0, Merx("stats", "--db", P("m.db"), "--json", P("store.json")).Code);
        var files = Json(P("files.json")); var store = Json(P("store.json"));
        Assert.Equal(6000, files.GetProperty("events").GetInt64());
        Assert.Equal(200, files.GetProperty("users").GetInt64());
        foreach (var key in new[] { "users", "items", "events", "skipped_lines" })
            Assert.Equal(files.GetProperty(key).GetInt64(), store.GetProperty(key).GetInt64());
        Assert.Equal(files.GetProperty("events_by_kind").GetProperty("purchase").GetInt64(), store.GetProperty("events_by_kind").GetProperty("purchase").GetInt64());
    }

    [Fact]
    public void StrictImport_OfABadFile_StoresNothing_AndSaysWhere()
    {
        File.WriteAllText(P("events.csv"), "user,item,kind,timestamp\na,x,view,1\nb,y,teleport,2\n");
        var (code, _, err) = Merx("import", "--data", P("events.csv"), "--db", P("s.db"), "--strict");
        Assert.Equal(1, code);
        Assert.Contains("events.csv:3", err);
        Assert.False(File.Exists(P("s.db")), "a failed strict import must not even create the store");
        var (lenient, output, _) = Merx("import", "--data", P("events.csv"), "--db", P("s.db"));
        Assert.Equal(0, lenient);
        Assert.Contains("1 lines skipped", output);
        Assert.Equal(0, Merx("stats", "--db", P("s.db"), "--json", P("s.json")).Code);
        Assert.Equal(1, Json(P("s.json")).GetProperty("events").GetInt64());
    }

    [Fact]
    public void NewItemsBench_WritesTheDocumentedJson_AndRefusesABadFraction()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        var (code, output, err) = Merx("new-items-bench", "--data", P("shop"), "--cold-items", "0.2", "--seed", "3", "--no-text", "--json", P("n.json"));
        Assert.True(code == 0, err);
        Assert.Contains("ranked among the new items", output);
        var run = Json(P("n.json"));
        Assert.True(run.GetProperty("cases").GetInt32() > 0);
        Assert.True(run.GetProperty("new_items").GetInt32() is > 0 and < 200);
        var attributes = run.GetProperty("attributes");
        foreach (var key in new[] { "ndcg@10", "ndcg@10_ci", "hr@10", "hr@10_ci", "proposed" }) Assert.True(attributes.TryGetProperty(key, out _), $"attributes lacks {key}");
        Assert.Equal(JsonValueKind.Null, run.GetProperty("attributes_text").ValueKind);   // --no-text
        var (bad, _, message) = Merx("new-items-bench", "--data", P("shop"), "--cold-items", "1.5");
        Assert.Equal(1, bad);
        Assert.Contains("--cold-items", message);
    }

    [Fact]
    public void Evaluate_WritesTheDocumentedJson_AndTrainRecommendWork()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        var (code, _, err) = Merx("evaluate", "--data", P("shop"), "--models", "pop,itemknn", "--json", P("e.json"));
        Assert.True(code == 0, err);
        var run = Json(P("e.json"));
        Assert.Equal("loo", run.GetProperty("protocol").GetString());
        var models = run.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["pop", "itemknn"], models.Select(m => m.GetProperty("name").GetString()));
        foreach (var m in models)
            foreach (var key in new[] { "ndcg@10", "hr@10", "ndcg@20", "mrr", "coverage@10", "diversity@10", "novelty@10", "train_seconds", "ndcg@10_ci" })
                Assert.True(m.TryGetProperty(key, out _), $"{m.GetProperty("name")} lacks {key}");
        Assert.True(models[1].GetProperty("ndcg@10").GetDouble() > models[0].GetProperty("ndcg@10").GetDouble(), "item-kNN should beat popularity on a shop with session structure");

        Merx("import", "--data", P("shop"), "--db", P("t.db"));
        Assert.Equal(0, Merx("train", "--db", P("t.db"), "--models", "itemknn").Code);
        var (rc, output, _) = Merx("recommend", "--db", P("t.db"), "--user", "u1", "--n", "5");
        Assert.Equal(0, rc);
        // What the output says, checked against the shop's own files: u1's event count and latest event, then
        // five distinct catalog items with their titles, best first, none of them already in u1's history.
        var events = File.ReadLines(P("shop/events.csv")).Skip(1).Select(l => l.Split(',')).Where(f => f[0] == "u1").ToArray();
        var titles = File.ReadLines(P("shop/items.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("title").GetString()!);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"user u1: {Math.Min(200, events.Length)} recent events; model itemknn", lines[0]);
        var newest = events.MaxBy(f => long.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture))!;
        Assert.StartsWith($"  recently {newest[2],-11} {newest[1]}  {titles[newest[1]]}", lines[1]);
        var ranked = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\s+(\d)\. +(-?\d+\.\d{3})  (\S+)  (.+?)(  \[.*\])?$")).Where(m => m.Success).ToArray();
        Assert.Equal(["1", "2", "3", "4", "5"], ranked.Select(m => m.Groups[1].Value));
        var items = ranked.Select(m => m.Groups[3].Value).ToArray();
        Assert.Equal(5, items.Distinct().Count());
        Assert.All(ranked, m => Assert.Equal(titles[m.Groups[3].Value], m.Groups[4].Value));
        var scores = ranked.Select(m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.True(scores[0] > 0, "item-kNN's best item for a user with history has a positive similarity");
        Assert.Empty(items.Intersect(events.Select(f => f[1])));
    }

    [Fact]
    public void Tune_ReportsEveryTrial_SelectsOnValidation_AndMeasuresTheBestOnTest()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        var (code, output, err) = Merx("tune", "--data", P("shop"), "--model", "itemknn", "--trials", "5", "--seed", "7", "--json", P("t.json"));
        Assert.True(code == 0, err);
        Assert.Contains("trial 5/5", err);
        Assert.Contains("best: neighbors=", output);
        var run = Json(P("t.json"));
        var trials = run.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(5, trials.Count);
        var scores = trials.Select(t => t.GetProperty("validation_ndcg@10").GetDouble()).ToList();
        var best = run.GetProperty("best");
        Assert.Equal(scores.Max(), best.GetProperty("validation_ndcg@10").GetDouble());
        var bestTrial = trials[scores.IndexOf(scores.Max())];
        Assert.Equal(bestTrial.GetProperty("params").GetProperty("neighbors").GetDouble(), best.GetProperty("params").GetProperty("neighbors").GetDouble());
        Assert.True(scores.Distinct().Count() > 1, "different configurations should score differently");
        var test = best.GetProperty("test");
        Assert.InRange(test.GetProperty("ndcg@10").GetDouble(), 0.001, 1);
        Assert.Equal(bestTrial.GetProperty("params").GetProperty("neighbors").GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            test.GetProperty("params").GetProperty("neighbors").GetString());

        (code, _, err) = Merx("tune", "--data", P("shop"), "--model", "ease", "--method", "halving", "--trials", "9", "--json", P("h.json"));
        Assert.True(code == 0, err);
        var halving = Json(P("h.json")).GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(9, halving.Count);
        var full = halving.Max(t => t.GetProperty("validation_cases").GetInt32());
        Assert.Equal(1, halving.Count(t => t.GetProperty("validation_cases").GetInt32() == full));
        Assert.True(halving.Count(t => t.GetProperty("rung").GetInt32() == 0) >= 6, "most configurations should stop at the first, smallest rung");

        (code, _, err) = Merx("tune", "--data", P("shop"), "--model", "pop");
        Assert.Equal(1, code);
        Assert.Contains("no hyper-parameters to tune", err);
    }

    [Fact]
    public void Evaluate_WithCrossValidation_WritesFoldMeansAndSds()
    {
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        var (code, output, err) = Merx("evaluate", "--data", P("shop"), "--models", "pop,itemknn", "--cv-folds", "3", "--json", P("cv.json"));
        Assert.True(code == 0, err);
        Assert.Contains("fold 3/3", err);
        Assert.Contains("mean ± sd over 3 folds", output);
        var run = Json(P("cv.json"));
        Assert.Equal(3, run.GetProperty("folds").GetInt32());
        foreach (var m in run.GetProperty("models").EnumerateArray())
        {
            foreach (var key in new[] { "ndcg@10", "hr@10", "mrr", "train_seconds", "ndcg@10_ci", "ndcg@10_sd", "hr@10_sd", "coverage@10_sd" })
                Assert.True(m.TryGetProperty(key, out _), $"{m.GetProperty("name")} lacks {key}");
            Assert.Equal(3, m.GetProperty("folds").GetInt32());
            Assert.Equal(300, m.GetProperty("eval_cases").GetInt32());
        }
        (code, _, err) = Merx("evaluate", "--data", P("shop"), "--models", "pop", "--cv-folds", "1");
        Assert.Equal(1, code);
        Assert.Contains("--cv-folds must be at least 2", err);
    }

    [Fact]
    public void AbTestSimulate_WritesPowerFalsePositivesAndUsersToVerdict_DeterministicallyPerSeed()
    {
        string[] args = ["abtest", "simulate", "--users", "3000", "--true-lift", "0.4", "--runs", "30", "--seed", "9"];
        var (code, output, err) = Merx([.. args, "--json", P("ab1.json")]);
        Assert.True(code == 0, err);
        Assert.Contains("60/60 runs simulated", err);
        Assert.Contains("sequential (mSPRT)", output);
        Assert.Equal(0, Merx([.. args, "--json", P("ab2.json")]).Code);
        Assert.Equal(File.ReadAllText(P("ab1.json")).Split("\"seconds\"")[0], File.ReadAllText(P("ab2.json")).Split("\"seconds\"")[0]);
        var r = Json(P("ab1.json"));
        Assert.InRange(r.GetProperty("power").GetDouble(), 0.5, 1);
        Assert.InRange(r.GetProperty("false_positive_rate").GetDouble(), 0, 0.1);
        Assert.InRange(r.GetProperty("median_users_to_verdict").GetDouble(), 200, 3000);
        Assert.True(r.TryGetProperty("naive_peeking_false_positive_rate", out _));

        (code, _, err) = Merx("abtest", "simulate", "--users", "3000", "--true-lift", "0.1", "--runs", "10", "--base-rate", "1.5", "--json", P("bad.json"));
        Assert.Equal(1, code);
        Assert.Contains("--base-rate must be in (0, 1)", err);
    }

    [Fact]
    public void Evaluate_Calibrate_AddsACalibratedLinePerModel_FromTheSameFit()
    {
        // Issue 23, "Data bias": the generated shop has a category tree, so miscalibration is measured.
        Merx("generate", "--users", "300", "--items", "200", "--events", "9000", "--seed", "5", "--out", P("shop"));
        var (code, output, err) = Merx("evaluate", "--data", P("shop"), "--models", "pop", "--calibrate", "0.9", "--json", P("cal.json"));
        Assert.True(code == 0, err);
        Assert.Contains("popularity bias: the top 10 % of items", output);
        var models = Json(P("cal.json")).GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["pop", "pop+cal"], models.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("0.9", models[1].GetProperty("params").GetProperty("calibration_lambda").GetString());
        Assert.Equal(models[0].GetProperty("train_seconds").GetDouble(), models[1].GetProperty("train_seconds").GetDouble());
        Assert.Equal(models[0].GetProperty("head_train_share").GetDouble(), models[1].GetProperty("head_train_share").GetDouble());
        Assert.True(models[1].GetProperty("miscalibration@10").GetDouble() < models[0].GetProperty("miscalibration@10").GetDouble());

        (code, _, err) = Merx("evaluate", "--data", P("shop"), "--models", "pop", "--calibrate", "1.5");
        Assert.Equal(1, code);
        Assert.Contains("λ must be in [0, 1]", err);
    }

    [Fact]
    public void BadArguments_GiveOneClearLine_NotAStackTrace()
    {
        var (code, _, err) = Merx("evaluate", "--data", P("nowhere"), "--models", "pop");
        Assert.Equal(1, code);
        Assert.Contains("no such file or folder", err);
        Assert.DoesNotContain("   at ", err);
        (code, _, err) = Merx("evaluate", "--data", P("nowhere"), "--models", "nosuchmodel");
        Assert.Equal(1, code);
        Assert.Contains("unknown model", err);
    }

    [Fact]
    public void AbtestReport_ReadsTheExperimentsTheServerRan()
    {
        var db = P("ab.db");
        using (var store = global::Merx.Storage.Sqlite.SqliteStore.Open(db))
        {
            var service = new global::Merx.Service.Experiments.ExperimentService(store, store);
            service.Create("exp1", [new("control", 0.5), new("treat", 0.5, Explore: false)]);
            var served = new List<global::Merx.Storage.ServedRecommendation>();
            for (var u = 0; u < 30; u++)
            {
                var tag = service.Assign("u" + u)!.Value.Tag;
                served.Add(new("r" + u, "u" + u, DateTimeOffset.UnixEpoch.AddSeconds(u), "sasrec", "full", tag, ["i1"], [false]));
            }
            store.RecordServed(served);
            store.RecordFeedback([new("r3", "u3", "i1", global::Merx.Core.Domain.EventKind.Click, DateTimeOffset.UnixEpoch.AddSeconds(40))]);
        }
        var (code, output, err) = Merx("abtest", "report", "--db", db, "--json", P("ab.json"));
        Assert.True(code == 0, err);
        Assert.Contains("experiment exp1 (running)", output);
        var variants = Json(P("ab.json")).GetProperty("experiments")[0].GetProperty("variants").EnumerateArray().ToArray();
        Assert.Equal(30, variants.Sum(v => v.GetProperty("users").GetInt64()));
        Assert.Equal(1, variants.Sum(v => v.GetProperty("clicks").GetInt64()));
        Assert.Equal(1, Merx("abtest", "report", "--db", db, "--id", "nope").Code);
    }
}
