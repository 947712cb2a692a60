using Merx.Core.Contracts;
using Merx.Evaluation.Federated;
using Merx.Evaluation.Metrics;
using Merx.Models.Classic;
using Merx.Models.Federated;
using Merx.Models.Training;

namespace Merx.Evaluation.Tests.Federated;

/// <summary>Federated MF's recipe (issue #7): local user refits, local SGD with FedAdam on the server.</summary>
public sealed class FederatedUserRefitTests
{
    /// <summary>Forwards to a real BPR and records the order of the trainer's calls.</summary>
    private sealed class Recording(Bpr inner) : IFederatedModel
    {
        public List<string> Calls { get; } = [];
        public float[]? LastGlobal { get; private set; }
        public string Name => inner.Name;
        public int ItemCount => inner.ItemCount;
        public void Fit(TrainingData data, FitOptions options) => inner.Fit(data, options);
        public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => inner.Score(user, history, scores);
        public ScoredItem[] SimilarItems(int item, int n) => inner.SimilarItems(item, n);
        public void Write(BinaryWriter writer) => inner.Write(writer);
        public float[] InitializeFederated(TrainingData data, int seed) => inner.InitializeFederated(data, seed);
        public int SharedParameterCount => inner.SharedParameterCount;
        public IFederatedClient BeginLocal(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Random rng)
        {
            Calls.Add($"update {shard.Id} refit {options.UserRefitEpochs}");
            return inner.BeginLocal(global, shard, options, seed, rng);
        }
        public void SetGlobal(ReadOnlySpan<float> global) { Calls.Add("set"); LastGlobal = global.ToArray(); inner.SetGlobal(global); }
        public void RefitLocal(ClientShard shard, FederatedLocalOptions options, int seed)
        {
            Calls.Add($"refit {shard.Id} passes {options.UserRefitEpochs}");
            inner.RefitLocal(shard, options, seed);
        }
    }

    [Fact]
    public void EndOfTraining_EveryClientRefitsItsUsersOnce_AfterTheFinalModelIsInstalled()
    {
        var model = new Recording(new Bpr(factors: 8));
        var messages = new List<string>();
        var result = FederatedTrainer.Train(model, TestData.Training(80, 3), new FederatedOptions
        {
            Clients = 8, Fraction = 0.5, Dropout = 0.25, Rounds = 4, EvalEvery = 2, Patience = 10, Seed = 2, UserRefitEpochs = 3,
        }, new SyncProgress(messages.Add));

        // Each round's surviving clients train with the pre-refit; then every client (not only the
        // round's participants) refits locally, after the last global model is installed, and the
        // trainer installs nothing afterwards: the refit's result never reaches the server.
        Assert.Equal(4 * 3, model.Calls.Count(c => c.StartsWith("update ", StringComparison.Ordinal)));
        Assert.All(model.Calls.Where(c => c.StartsWith("update ", StringComparison.Ordinal)), c => Assert.EndsWith("refit 3", c));
        var lastSet = model.Calls.LastIndexOf("set");
        var refits = model.Calls.Skip(lastSet + 1).ToArray();
        Assert.Equal(Enumerable.Range(0, 8).Select(c => $"refit {c} passes 3"), refits);
        Assert.Equal(8, model.Calls.Count(c => c.StartsWith("refit ", StringComparison.Ordinal)));
        Assert.Contains(messages, m => m.Contains("refitted its users locally", StringComparison.Ordinal));
        Assert.Equal(4, result.Rounds);
    }

    [Fact]
    public void WithoutUserRefit_NoClientRefits()
    {
        var model = new Recording(new Bpr(factors: 8));
        FederatedTrainer.Train(model, TestData.Training(80, 3), new FederatedOptions { Clients = 8, Fraction = 0.5, Dropout = 0, Rounds = 2, Seed = 2 });
        Assert.DoesNotContain(model.Calls, c => c.StartsWith("refit ", StringComparison.Ordinal));
    }

    [Fact]
    public void PlainAggregation_GivesTheSameModelAsSecureAggregation()
    {
        float[] Trained(bool secure)
        {
            var model = new Recording(new Bpr(factors: 8));
            FederatedTrainer.Train(model, TestData.Training(80, 3), new FederatedOptions { Clients = 8, Fraction = 0.5, Dropout = 0.25, Rounds = 3, EvalEvery = 3, Seed = 2, SecureAggregation = secure });
            return model.LastGlobal!;
        }
        var a = Trained(true);
        var b = Trained(false);
        for (var k = 0; k < a.Length; k++) Assert.Equal(a[k], b[k], 1e-5f);
    }

    [Fact]
    public void FederatedMf_WithUserRefitLocalSgdAndFedAdam_LearnsAndBeatsPopularity()
    {
        var (split, catalog) = TestData.Create(200, 11);
        var data = new TrainingData(split.Train, catalog, split.Validation);
        var model = new Bpr(factors: 8);
        FederatedTrainer.Train(model, data, new FederatedOptions
        {
            Clients = 20, Fraction = 0.25, Dropout = 0.2, Rounds = 30, EvalEvery = 5, Patience = 10, Seed = 4, LocalEpochs = 5,
            LocalSgd = true, LocalLearningRate = 0.1f, Server = ServerOptimizer.FedAdam, ServerLearningRate = 0.01f, UserRefitEpochs = 5,
        });

        var (fed, popularity) = TestData.TestNdcgAgainstPopularity(model, data, split.Test);
        Assert.True(fed > popularity + 0.05, $"federated MF NDCG@10 {fed:F4} vs popularity {popularity:F4}");
    }

    [Fact]
    public void NegativeUserRefit_IsRefusedWithTheOptionsName()
    {
        var e = Assert.Throws<ArgumentException>(() => new FederatedOptions { UserRefitEpochs = -1 }.Validate());
        Assert.Contains("--mf-user-refit", e.Message);
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
