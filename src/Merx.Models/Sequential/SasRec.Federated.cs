using Merx.Core.Contracts;
using Merx.Models.Federated;

namespace Merx.Models.Sequential;

/// <summary>
/// Federated training of the Transformer: the whole flat parameter vector is the shared model
/// (there is no per-user parameter: a user is encoded from their history). A client's local round
/// is the centralized training step (full-softmax cross-entropy, gradient clipping) over its own
/// sequences, starting from the global parameters, with either a fresh AdamW each round (client
/// optimizer state would otherwise have to persist on devices between their rare participations) or
/// plain SGD (<see cref="FederatedLocalOptions.Sgd"/>, for an adaptive server optimizer).
/// </summary>
public sealed partial class SasRec : IFederatedModel
{
    /// <summary>
    /// Sizes the model as <see cref="Fit"/> does and returns the initial global parameters (P).
    /// The set of items that occur in training (whose id embeddings are used) is a catalog-level
    /// count the server could learn by one securely aggregated count vector; it is taken from
    /// <paramref name="data"/> here.
    /// </summary>
    public float[] InitializeFederated(TrainingData data, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        AllocateState(data, Options.Resolve(data.Train));
        CountTrainingItems(data.Train);
        _layout.Initialize(_params, seed);
        ComputeRepresentations(_params, _reps);
        return (float[])_params.Clone();
    }

    public long LocalUpdate(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Span<float> delta)
    {
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(options);
        var l = Layout;
        if (global.Length != l.Total || delta.Length != l.Total) throw new ArgumentException($"global and delta must have {l.Total} values");
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "local epochs must be ≥ 1");
        var saved = Options;
        if (options.BatchSize is { } bs) Options = Options with { BatchSize = bs };
        if (options.LearningRate is { } lr) Options = Options with { LearningRate = lr };
        try
        {
            global.CopyTo(_params);
            var train = shard.Sequences;
            var users = Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) >= 2).ToArray();
            long examples = 0;
            foreach (var u in users) examples += Math.Min(train.LengthOf(u) - 1, l.T);
            if (users.Length > 0)
            {
                // Fresh buffers per client and round: the dropout masks and the optimizer depend on the seed alone.
                var step = new StepBuffers(this, seed);
                var rng = new Random(seed);
                var batch = Options.BatchSize;
                var lengths = new int[batch];
                var batchUsers = new int[batch];
                for (var e = 0; e < options.Epochs; e++)
                {
                    rng.Shuffle(users);
                    for (var b0 = 0; b0 < users.Length; b0 += batch)
                    {
                        var count = Math.Min(batch, users.Length - b0);
                        for (var k = 0; k < count; k++) { batchUsers[k] = users[b0 + k]; lengths[k] = train.LengthOf(users[b0 + k]); }
                        Pack(step.Net, l.T, lengths.AsSpan(0, count), k => train.Items.AsMemory(train.Offsets[batchUsers[k]], lengths[k]), withTargets: true);
                        if (!options.Sgd) { TrainStep(step); continue; }
                        TrainStep(step, applyUpdate: false);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(step.Grads, -Options.LearningRate, _params, _params);
                    }
                }
            }
            for (var i = 0; i < l.Total; i++) delta[i] = _params[i] - global[i];
            return Math.Max(1, examples);
        }
        finally
        {
            Options = saved;
        }
    }

    public void SetGlobal(ReadOnlySpan<float> global)
    {
        var l = Layout;
        if (global.Length != l.Total) throw new ArgumentException($"global must have {l.Total} values");
        global.CopyTo(_params);
        ComputeRepresentations(_params, _reps);
    }
}
