using Merx.Core.Contracts;
using Merx.Models.Federated;
using Merx.Models.Sequential;
using Merx.Models.Training;

namespace Merx.Models.Tests.Training;

/// <summary>The one federated client loop over a model's surface (issue 17): what it asks of the model, in which order, on which random stream.</summary>
public class FederatedClientTrainerTests
{
    /// <summary>
    /// A model with P = 2 shared parameters whose client has <c>steps</c> steps per epoch and
    /// <c>examples</c> examples; every call is recorded with one draw from the stream it was given.
    /// </summary>
    private sealed class Fake(long steps, long examples) : IFederatedModel
    {
        public readonly List<string> Calls = [];
        public long Steps => steps;
        public long Examples => examples;
        public string Name => "fake";
        public int ItemCount => 1;
        public int SharedParameterCount => 2;
        public void Fit(TrainingData data, FitOptions options) => throw new NotSupportedException();
        public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => throw new NotSupportedException();
        public ScoredItem[] SimilarItems(int item, int n) => throw new NotSupportedException();
        public void Write(BinaryWriter writer) => throw new NotSupportedException();
        public float[] InitializeFederated(TrainingData data, int seed) => new float[2];
        public void SetGlobal(ReadOnlySpan<float> global) => Calls.Add("set");

        public IFederatedClient BeginLocal(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Random rng)
        {
            Calls.Add($"begin {shard.Id} seed {seed} draw {rng.Next()}");
            return new Client(this, global[0]);
        }

        private sealed class Client(Fake model, float start) : IFederatedClient
        {
            private float _local = start;
            public long Examples => model.Examples;
            public long StepsPerEpoch => model.Steps;
            public void BeginEpoch(Random rng) => model.Calls.Add($"epoch draw {rng.Next()}");
            public void Step(long step, Random rng) { model.Calls.Add($"step {step} draw {rng.Next()}"); _local += 1; }
            public void WriteUpdate(ReadOnlySpan<float> global, Span<float> delta) { model.Calls.Add("write"); delta[0] = _local - global[0]; delta[1] = -1; }
            public void Dispose() => model.Calls.Add("dispose");
        }
    }

    private static readonly ClientShard Shard = ClientShard.Partition(Merx.Core.Data.UserSequences.FromLists([[0, 0]], 1), 1, 0)[0];

    [Fact]
    public void LocalUpdate_RunsEpochsOfSteps_OnOneStreamSeededByTheClientSeed_ThenSendsTheUpdate()
    {
        var model = new Fake(steps: 3, examples: 7);
        var delta = new float[2];
        var weight = FederatedClientTrainer.LocalUpdate(model, [10f, 20f], Shard, new FederatedLocalOptions(Epochs: 2), seed: 5, delta);

        // The model's own preparation, every epoch's sampling and every step draw from one Random(seed), in this order.
        var r = new Random(5);
        string[] expected =
        [
            $"begin 0 seed 5 draw {r.Next()}",
            $"epoch draw {r.Next()}", $"step 0 draw {r.Next()}", $"step 1 draw {r.Next()}", $"step 2 draw {r.Next()}",
            $"epoch draw {r.Next()}", $"step 0 draw {r.Next()}", $"step 1 draw {r.Next()}", $"step 2 draw {r.Next()}",
            "write", "dispose",
        ];
        Assert.Equal(expected, model.Calls);
        Assert.Equal([6f, -1f], delta); // six steps of +1 from the global 10
        Assert.Equal(7, weight);
    }

    [Fact]
    public void LocalUpdate_WithoutSteps_RunsNoEpoch_SendsTheUpdate_AndWeighsTheClientAsOne()
    {
        var model = new Fake(steps: 0, examples: 0);
        var delta = new float[2];
        Assert.Equal(1, FederatedClientTrainer.LocalUpdate(model, [10f, 20f], Shard, new FederatedLocalOptions(Epochs: 3), seed: 5, delta));
        Assert.Equal(["begin 0 seed 5 draw " + new Random(5).Next(), "write", "dispose"], model.Calls);
        Assert.Equal([0f, -1f], delta);
    }

    [Theory]
    [InlineData(3, 2, 1, "2 values")]
    [InlineData(2, 3, 1, "2 values")]
    [InlineData(2, 2, 0, "local epochs must be ≥ 1")]
    public void LocalUpdate_RefusesBadShapesAndEpochs_BeforeTheModelIsTouched(int globalLength, int deltaLength, int epochs, string message)
    {
        var model = new Fake(steps: 1, examples: 1);
        var e = Assert.ThrowsAny<ArgumentException>(() => FederatedClientTrainer.LocalUpdate(model, new float[globalLength], Shard, new FederatedLocalOptions(Epochs: epochs), 1, new float[deltaLength]));
        Assert.Contains(message, e.Message);
        Assert.Empty(model.Calls);
    }

    [Fact]
    public void SasRecLocalUpdate_RestoresTheModelsOwnBatchSizeAndLearningRate()
    {
        var (data, _) = TwoBlockData.Create();
        var model = new SasRec(new SasRecOptions { Dim = 8, Blocks = 1, MaxLength = 6, BatchSize = 8, LearningRate = 2e-3f });
        var global = model.InitializeFederated(data, 1);
        var before = model.Options;
        var delta = new float[global.Length];
        FederatedClientTrainer.LocalUpdate(model, global, ClientShard.Partition(data.Train, 3, 1)[0], new FederatedLocalOptions(LearningRate: 0.5f, BatchSize: 3, Sgd: true), 4, delta);
        Assert.Equal(before, model.Options);
        Assert.Contains(delta, d => d != 0); // the local round did train (with the overrides)
    }
}
