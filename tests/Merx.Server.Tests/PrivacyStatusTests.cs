using System.Net;
using System.Text.Json;
using Merx.Core.Contracts;
using Merx.Service.Training;
using Merx.Storage.Sqlite;

namespace Merx.Server.Tests;

/// <summary>The dashboard's privacy status says what the served models' published metrics say (issue #16), not a fixed "no DP".</summary>
[Collection(ShopCollection.Name)]
public sealed class PrivacyStatusTests(ShopStore shop)
{
    [Fact]
    public async Task Non_private_models_are_reported_as_such_model_by_model()
    {
        await using var app = await MerxTestApp.StartAsync(shop.DbPath);
        var (status, body) = await app.GetAsync("/api/dashboard/status");
        Assert.Equal(HttpStatusCode.OK, status);
        var privacy = body.GetProperty("privacy");
        Assert.False(privacy.GetProperty("differential_privacy").GetBoolean());
        Assert.False(privacy.TryGetProperty("epsilon_spent", out _), "no ε is spent by models trained without DP");   // nulls are not written
        var served = privacy.GetProperty("served_models").EnumerateArray().ToArray();
        Assert.Equal(["sasrec", "itemknn", "trending"], served.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(app.Host.Current!.Primary!.Version.Version, served[0].GetProperty("version").GetInt64());
        Assert.All(served, m => Assert.False(m.GetProperty("differential_privacy").GetBoolean()));
        Assert.All(served, m => Assert.False(m.TryGetProperty("epsilon", out _)));
        Assert.Contains("(primary): trained without DP-SGD", privacy.GetProperty("epsilon_note").GetString());
    }

    [Fact]
    public async Task A_privately_trained_served_model_shows_its_published_epsilon_delta_and_accountant()
    {
        var db = shop.Copy("private.db");
        using (var store = SqliteStore.Open(db))
            ModelTrainer.Train(store, ["sasrec"], new FitOptions { Seed = 3, Privacy = new DpTrainingOptions { TargetEpsilon = 4, Epochs = 1, SeededNoise = true } });
        await using var app = await MerxTestApp.StartAsync(db);
        var published = JsonDocument.Parse(app.Store.LatestModel("sasrec")!.MetricsJson).RootElement;
        var (_, body) = await app.GetAsync("/api/dashboard/status");
        var privacy = body.GetProperty("privacy");
        var primary = privacy.GetProperty("served_models")[0];
        Assert.Equal("primary", primary.GetProperty("role").GetString());
        Assert.Equal(app.Store.LatestModel("sasrec")!.Version, primary.GetProperty("version").GetInt64());
        Assert.True(primary.GetProperty("differential_privacy").GetBoolean());
        Assert.Equal(published.GetProperty("epsilon").GetDouble(), primary.GetProperty("epsilon").GetDouble());
        Assert.InRange(primary.GetProperty("epsilon").GetDouble(), 3.5, 4.0);   // σ is planned so the run ends at the target
        Assert.Equal(1.0 / app.Store.GetStats().Users, primary.GetProperty("delta").GetDouble(), 12);   // δ defaults to 1 / training users
        Assert.Equal("pld", primary.GetProperty("accountant").GetString());
        Assert.Equal(published.GetProperty("dp_noise_multiplier").GetDouble(), primary.GetProperty("noise_multiplier").GetDouble());
        // item-kNN and trending have no private training: the whole is not private, and the note says which part is.
        Assert.False(privacy.GetProperty("differential_privacy").GetBoolean());
        Assert.False(privacy.TryGetProperty("epsilon_spent", out _));
        Assert.False(privacy.GetProperty("served_models")[1].GetProperty("differential_privacy").GetBoolean());
        var note = privacy.GetProperty("epsilon_note").GetString()!;
        Assert.Contains($"sasrec v{primary.GetProperty("version").GetInt64()} (primary): DP-SGD, ε = {published.GetProperty("epsilon").GetDouble().ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}", note);
        Assert.Contains("PLD accountant", note);
        Assert.Contains("Only part of what is served is private", note);
    }

    [Theory]
    [InlineData("""{"ndcg@10":0.03,"train_seconds":1.2}""", false, null, "trained without DP-SGD")]
    [InlineData("""{"ndcg@10":0.005,"epsilon":7.996879,"delta":4.4717e-05,"dp_noise_multiplier":1.295,"dp_accountant_pld":0}""", true, "rdp", "DP-SGD, ε = 7.997, δ = 4.47e-05 (RDP accountant)")]
    [InlineData("""{"ndcg@10":0.005,"epsilon":8,"delta":4.4717e-05,"dp_noise_multiplier":1.295}""", true, null, "DP-SGD, ε = 8.000, δ = 4.47e-05 (accountant not recorded)")]
    public void A_versions_metrics_say_whether_it_is_private_and_by_which_accountant(string metrics, bool isPrivate, string? accountant, string described)
    {
        var privacy = ModelPrivacy.FromMetrics(metrics);
        Assert.Equal(isPrivate, privacy.Private);
        Assert.Equal(accountant, privacy.Accountant);
        Assert.Equal(described, privacy.Describe());
    }
}
