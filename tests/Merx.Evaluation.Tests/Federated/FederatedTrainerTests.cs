using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Evaluation.Federated;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;
using Merx.Models.Federated;
using Merx.Models.Training;
using Merx.Models.Sequential;
using Merx.Privacy.Accounting;
using Merx.Privacy.Federated;
using Merx.Privacy.Mechanisms;

namespace Merx.Evaluation.Tests.Federated;

/// <summary>Federated training (issue #7): secure aggregation inside the loop, dropouts, client isolation, learning.</summary>
public sealed class FederatedTrainerTests
{
    private static readonly SasRecOptions TinySasRec = new() { Dim = 16, Blocks = 1, MaxLength = 8, BatchSize = 8 };

    private static IFederatedModel Create(string name) => name == "mf" ? new Bpr(factors: 8) : new SasRec(TinySasRec);

    [Theory]
    [InlineData("mf", 0.0)]
    [InlineData("mf", 0.25)]
    [InlineData("sasrec", 0.25)]
    public void SecureRound_GivesThePlainWeightedAverageOfTheSurvivors(string name, double dropout)
    {
        var data = TestData.Training();
        var options = new FederatedOptions { Clients = 8, Fraction = 0.5, Dropout = dropout, Seed = 3 };
        var shards = ClientShard.Partition(data.Train, options.Clients, options.Seed);
        var secureModel = Create(name);
        var global = secureModel.InitializeFederated(data, 3);
        var plainModel = Create(name);
        plainModel.InitializeFederated(data, 3);

        var secure = FederatedTrainer.Round(secureModel, global, shards, 1, options, secure: true);
        var plain = FederatedTrainer.Round(plainModel, global, shards, 1, options, secure: false);

        Assert.Equal(plain.Result.Contributors.Order(), secure.Result.Contributors.Order());
        Assert.Equal(plain.Result.TotalExamples, secure.Result.TotalExamples);
        Assert.Contains(plain.Result.Average, v => v != 0);
        for (var k = 0; k < global.Length; k++) Assert.Equal(plain.Result.Average[k], secure.Result.Average[k], 1e-6f);
    }

    [Fact]
    public void DroppedClient_IsLeftOutAndTheRoundStillAggregates()
    {
        var data = TestData.Training();
        var options = new FederatedOptions { Clients = 8, Fraction = 0.5, Dropout = 0.25, Seed = 3 };
        var shards = ClientShard.Partition(data.Train, options.Clients, options.Seed);
        var model = new Bpr(factors: 8);
        var global = model.InitializeFederated(data, 3);

        var round = FederatedTrainer.Round(model, global, shards, 1, options);

        Assert.Equal(4, options.Participants);
        Assert.Equal(1, round.Dropped);
        Assert.Equal(3, round.Result.Contributors.Count);
        var droppedId = round.Updates.Select(u => u.ClientId).Except(round.Result.Contributors).Single();
        // The survivors' example-weighted mean, without the dropped client.
        var survivors = round.Updates.Where(u => u.ClientId != droppedId).ToArray();
        var total = survivors.Sum(u => (double)u.Examples);
        Assert.Equal(total, round.Result.TotalExamples);
        for (var k = 0; k < global.Length; k += 7)
            Assert.Equal(survivors.Sum(u => u.Examples * (double)u.Update[k]) / total, round.Result.Average[k], 1e-5);
    }

    [Fact]
    public void TooManyDropouts_AreRefusedUpFront()
    {
        var e = Assert.Throws<ArgumentException>(() => new FederatedOptions { Clients = 10, Fraction = 0.4, Dropout = 0.5 }.Validate());
        Assert.Contains("--dropout", e.Message);
    }

    [Theory]
    [InlineData("mf")]
    [InlineData("sasrec")]
    public void LocalUpdate_DependsOnlyOnTheClientsOwnUsers(string name)
    {
        var (split, catalog) = TestData.Create(60, 5);
        var shards = ClientShard.Partition(split.Train, 6, 9);
        var mine = shards[0].Users.ToHashSet();
        // Same users, but every other user's items replaced (shifted by 3 and reversed in time).
        var n = split.Train.ItemCount;
        var lists = Enumerable.Range(0, split.Train.UserCount)
            .Select(u => (IReadOnlyList<int>)(mine.Contains(u) ? split.Train.ItemsOf(u).ToArray() : split.Train.ItemsOf(u).ToArray().Select(i => (i + 3) % n).Reverse().ToArray())).ToArray();
        var otherTrain = UserSequences.FromLists(lists, split.Train.ItemCount);
        var otherShards = ClientShard.Partition(otherTrain, 6, 9);
        Assert.Equal(shards[0].Users, otherShards[0].Users);

        var a = Create(name);
        var global = a.InitializeFederated(new TrainingData(split.Train, catalog), 1);
        var b = Create(name);
        b.InitializeFederated(new TrainingData(otherTrain, catalog), 1);
        var local = new FederatedLocalOptions(Epochs: 2);
        float[] Delta(IFederatedModel m, ClientShard s) { var d = new float[global.Length]; FederatedClientTrainer.LocalUpdate(m, global, s, local, 77, d); return d; }

        Assert.Equal(Delta(a, shards[0]), Delta(b, otherShards[0]));
        Assert.NotEqual(Delta(a, shards[1]), Delta(b, otherShards[1])); // the changed clients' own updates do change
    }

    [Fact]
    public void FederatedMf_LearnsAndBeatsPopularity()
    {
        var (split, catalog) = TestData.Create(200, 11);
        var data = new TrainingData(split.Train, catalog, split.Validation);
        var model = new Bpr(factors: 8);
        var result = FederatedTrainer.Train(model, data, new FederatedOptions { Clients = 20, Fraction = 0.25, Dropout = 0.2, Rounds = 30, EvalEvery = 5, Patience = 10, Seed = 4 });

        var (fed, popularity) = TestData.TestNdcgAgainstPopularity(model, data, split.Test);

        Assert.Equal(30, result.Rounds);
        Assert.Equal(30, result.DroppedTotal);
        Assert.True(fed > popularity + 0.05, $"federated MF NDCG@10 {fed:F4} vs popularity {popularity:F4}");
    }

    [Fact]
    public void FederatedSasRec_WithLocalSgdAndFedAdam_BeatsPopularity()
    {
        var (split, catalog) = TestData.Create(200, 11);
        var data = new TrainingData(split.Train, catalog, split.Validation);
        var model = new SasRec(TinySasRec);
        FederatedTrainer.Train(model, data, new FederatedOptions
        {
            Clients = 20, Fraction = 0.25, Dropout = 0.2, Rounds = 20, EvalEvery = 5, Patience = 10, Seed = 4, LocalEpochs = 2,
            LocalSgd = true, LocalLearningRate = 0.5f, Server = ServerOptimizer.FedAdam, ServerLearningRate = 0.03f,
        });

        var (fed, popularity) = TestData.TestNdcgAgainstPopularity(model, data, split.Test);
        Assert.True(fed > popularity + 0.05, $"federated Transformer NDCG@10 {fed:F4} vs popularity {popularity:F4}");
    }

    [Fact]
    public void Refit_TrainsAgainForTheSelectedNumberOfRounds()
    {
        var data = TestData.Training(120, 3);
        var result = FederatedTrainer.Train(new Bpr(factors: 8), data, new FederatedOptions
        {
            Clients = 6, Fraction = 0.5, Dropout = 0, Rounds = 6, EvalEvery = 2, Patience = 10, Seed = 2, RefitWithValidation = true,
        });
        Assert.Equal(6, result.Rounds);
        Assert.InRange(result.BestRound, 2, 6);
        Assert.Equal(result.BestRound, result.RefitRounds);
        Assert.Equal(result.Rounds + result.RefitRounds, result.History.Count);
    }

    [Fact]
    public void DpNoise_ReportsEpsilonAndStillTrains()
    {
        var data = TestData.Training();
        var model = new Bpr(factors: 8);
        var result = FederatedTrainer.Train(model, data, new FederatedOptions { Clients = 6, Fraction = 0.5, Dropout = 0, Rounds = 4, DpNoise = 1.0, DpClip = 0.5, Seed = 2 });
        // ε is the RDP accountant's for this run: q = 3 of 6 clients, σ = 1, 4 rounds, δ = 1/clients (issue 16)
        Assert.Equal(RdpAccountant.Epsilon(3.0 / 6, 1.0, 4, 1.0 / 6), result.Epsilon!.Value, 12);
        Assert.Equal(1.0 / 6, result.Delta);
        Assert.Equal(4, result.History.Count);
    }

    [Fact]
    public void DpRound_ClipsEveryClientUpdate_AndAddsNoiseOfThePlannedSigma()
    {
        var data = TestData.Training();
        // A clip far below a local update's norm, so every surviving client's update is cut to exactly C.
        var options = new FederatedOptions { Clients = 6, Fraction = 0.5, Dropout = 0, Seed = 2, DpNoise = 1.5, DpClip = 0.05 };
        var shards = ClientShard.Partition(data.Train, options.Clients, options.Seed);
        var model = new Bpr(factors: 64);   // 18 items × 64: enough coordinates to measure σ within ±10 %
        var global = model.InitializeFederated(data, 2);

        var noisy = FederatedTrainer.Round(model, global, shards, 1, options, noise: new SeededNoiseSource(11));

        Assert.All(noisy.Updates, u => Assert.Equal(options.DpClip, Math.Sqrt(u.Update.Sum(v => (double)v * v)), 1e-5));
        Assert.All(noisy.Updates, u => Assert.Equal(1, u.Examples));   // one vote per client: the sum's sensitivity is C
        // The secure sum minus the clear sum of the same clipped updates is the noise alone: N(0, (σ·C)²) per coordinate.
        var clear = FederatedAveraging.Plain(noisy.Updates);
        var n = noisy.Result.TotalExamples;
        var d = global.Length;
        var sumSq = 0.0;
        for (var k = 0; k < d; k++) { var e = (noisy.Result.Average[k] - (double)clear.Average[k]) * n; sumSq += e * e; }
        var sd = Math.Sqrt(sumSq / d);
        // the sample sd of d normals has relative sd 1/√(2d); the band is 5 of those around σ·C
        var planned = options.DpNoise * options.DpClip;
        var band = 5 / Math.Sqrt(2.0 * d);
        Assert.True(d >= 1000, $"d = {d}");
        Assert.InRange(sd, planned * (1 - band), planned * (1 + band));
    }
}
