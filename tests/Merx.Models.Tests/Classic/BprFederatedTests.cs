using Merx.Core.Contracts;
using Merx.Models.Classic;
using Merx.Models.Federated;
using Merx.Models.Training;

namespace Merx.Models.Tests.Classic;

/// <summary>Federated BPR-MF's client side (issue #7): the local user refit and local SGD of the item side.</summary>
public sealed class BprFederatedTests
{
    private static (Bpr Model, float[] Global, ClientShard[] Shards, TrainingData Data) Setup(int seed = 3)
    {
        var (data, _) = TwoBlockData.Create();
        var model = new Bpr(factors: 8);
        var global = model.InitializeFederated(data, seed);
        return (model, global, ClientShard.Partition(data.Train, 4, seed), data);
    }

    /// <summary>The stored vector of a training user (an empty history is not refined).</summary>
    private static float[] Stored(Bpr m, int user) => m.UserVector(user, []);

    /// <summary>Fraction of (own item, item the user never had) pairs the stored vector orders correctly.</summary>
    private static double Auc(Bpr m, ClientShard shard)
    {
        var scores = new float[m.ItemCount];
        double right = 0, pairs = 0;
        for (var r = 0; r < shard.Users.Length; r++)
        {
            m.Score(shard.Users[r], [], scores);
            var own = shard.Sequences.ItemsOf(r).ToArray().ToHashSet();
            foreach (var i in own)
                for (var j = 0; j < m.ItemCount; j++)
                    if (!own.Contains(j)) { pairs++; right += scores[i] > scores[j] ? 1 : 0; }
        }
        return right / pairs;
    }

    [Fact]
    public void RefitLocal_FitsOnlyTheShardsUsers_AndLeavesTheItemsAsTheyAre()
    {
        var (model, global, shards, data) = Setup();
        var before = Enumerable.Range(0, data.UserCount).Select(u => Stored(model, u)).ToArray();
        var newUser = new float[model.ItemCount];
        model.Score(-1, [1, 2, 9], newUser);   // folded in from zero against the items only
        var auc = Auc(model, shards[0]);

        model.RefitLocal(shards[0], new FederatedLocalOptions(UserRefitEpochs: 20), seed: 5);

        var mine = shards[0].Users.ToHashSet();
        for (var u = 0; u < data.UserCount; u++)
            if (mine.Contains(u)) Assert.NotEqual(before[u], Stored(model, u));
            else Assert.Equal(before[u], Stored(model, u));
        var again = new float[model.ItemCount];
        model.Score(-1, [1, 2, 9], again);
        Assert.Equal(newUser, again);          // the shared side did not move: there is nothing to send
        Assert.True(Auc(model, shards[0]) > auc + 0.2, $"AUC of the shard's users {auc:F3} -> {Auc(model, shards[0]):F3}");
        Assert.Equal(global.Length, model.SharedParameterCount);
    }

    [Fact]
    public void RefitLocal_WithZeroPasses_ChangesNothing()
    {
        var (model, _, shards, data) = Setup();
        var before = Enumerable.Range(0, data.UserCount).Select(u => Stored(model, u)).ToArray();
        model.RefitLocal(shards[1], new FederatedLocalOptions(), seed: 5);
        for (var u = 0; u < data.UserCount; u++) Assert.Equal(before[u], Stored(model, u));
    }

    [Fact]
    public void LocalUpdate_WithPreRefit_IsDeterministic_AndStartsFromRefittedUsers()
    {
        float[] Delta(int refit, out double auc)
        {
            var (model, global, shards, _) = Setup();
            var delta = new float[global.Length];
            FederatedClientTrainer.LocalUpdate(model, global, shards[2], new FederatedLocalOptions(Epochs: 1, UserRefitEpochs: refit), seed: 9, delta);
            auc = Auc(model, shards[2]);
            return delta;
        }
        var a = Delta(10, out var aucRefit);
        Assert.Equal(a, Delta(10, out _));
        Assert.NotEqual(a, Delta(0, out var aucPlain));
        // Refitting first leaves the client's users fitting their own items better after the same round.
        Assert.True(aucRefit > aucPlain, $"AUC with pre-refit {aucRefit:F3}, without {aucPlain:F3}");
    }

    [Fact]
    public void LocalSgd_GivesAnUpdateProportionalToTheStep()
    {
        double Norm(float lr)
        {
            var (model, global, shards, _) = Setup();
            var delta = new float[global.Length];
            FederatedClientTrainer.LocalUpdate(model, global, shards[0], new FederatedLocalOptions(Epochs: 1, LearningRate: lr, Sgd: true), seed: 4, delta);
            return Math.Sqrt(delta.Sum(x => (double)x * x));
        }
        // Gradient-proportional, not sign-like as a fresh Adagrad's first steps are (±lr whatever the gradient).
        Assert.InRange(Norm(2e-4f) / Norm(1e-4f), 1.95, 2.05);
        Assert.True(Norm(1e-4f) > 0);
    }

    [Theory]
    [InlineData(false, 0.1f, null, 0, "local SGD only")]
    [InlineData(true, null, 16, 0, "batch size")]
    [InlineData(true, -1f, null, 0, "must be positive")]
    [InlineData(false, null, null, -1, "must be ≥ 0")]
    public void BadLocalOptions_GiveAClearError(bool sgd, float? lr, int? batch, int refit, string message)
    {
        var (model, global, shards, _) = Setup();
        var options = new FederatedLocalOptions(1, lr, batch, sgd, refit);
        var e = Assert.Throws<ArgumentException>(() => FederatedClientTrainer.LocalUpdate(model, global, shards[0], options, 1, new float[global.Length]));
        Assert.Contains(message, e.Message);
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => model.RefitLocal(shards[0], options, 1)).Message);
    }
}
