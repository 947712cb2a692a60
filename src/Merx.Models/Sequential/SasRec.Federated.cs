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
        if (Options.PopularityIpw > 0) throw new ArgumentException("popularity inverse-propensity weights are not combined with federated training (the clients would need every user's item counts)");
        AllocateState(data, Options.Resolve(data.Train));
        CountTrainingItems(data.Train);
        _layout.Initialize(_params, seed);
        ComputeRepresentations(_params, _reps);
        return (float[])_params.Clone();
    }

    /// <summary>Length of the shared vector: every parameter (<see cref="SasRecLayout.Total"/>).</summary>
    public int SharedParameterCount => Layout.Total;

    /// <summary>
    /// Prepares a client's local copy: the local batch size and learning rate override the model's
    /// options until the client is disposed, the global vector (P) becomes the parameters, and fresh
    /// step buffers are seeded from <paramref name="seed"/> alone (dropout masks, optimizer state).
    /// </summary>
    public IFederatedClient BeginLocal(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Random rng)
    {
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(options);
        var saved = Options;
        if (options.BatchSize is { } bs) Options = Options with { BatchSize = bs };
        if (options.LearningRate is { } lr) Options = Options with { LearningRate = lr };
        try
        {
            global.CopyTo(_params);
            return new LocalClient(this, saved, shard.Sequences, options.Sgd, seed);
        }
        catch
        {
            Options = saved;
            throw;
        }
    }

    /// <summary>
    /// One client's Transformer round: the examples are the client's sequences with at least two
    /// items; an epoch shuffles them and a step is one batch of <see cref="SasRecOptions.BatchSize"/>
    /// of them, in shuffled order (the centralized training step, or its gradient times the learning
    /// rate under local SGD).
    /// </summary>
    private sealed class LocalClient : IFederatedClient
    {
        private readonly SasRec _model;
        private readonly SasRecOptions _saved;
        private readonly Core.Data.UserSequences _train;
        private readonly bool _sgd;
        private readonly int[] _users;        // (m') rows of the shard with a next-item target
        private readonly StepBuffers? _step;  // null when the client has no such row
        private readonly int _batch;          // B

        public LocalClient(SasRec model, SasRecOptions saved, Core.Data.UserSequences train, bool sgd, int seed)
        {
            _model = model; _saved = saved; _train = train; _sgd = sgd;
            _users = Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) >= 2).ToArray();
            var t = model.Layout.T;
            foreach (var u in _users) Examples += Math.Min(train.LengthOf(u) - 1, t);
            _batch = model.Options.BatchSize;
            // Fresh buffers per client and round: the dropout masks and the optimizer depend on the seed alone.
            if (_users.Length > 0) _step = new StepBuffers(model, seed);
        }

        public long Examples { get; }

        public long StepsPerEpoch => (_users.Length + _batch - 1) / _batch;

        public void BeginEpoch(Random rng) => rng.Shuffle(_users);

        public void Step(long step, Random rng)
        {
            var s = _step!;
            var b0 = (int)step * _batch;
            PackTraining(s.Net, _model.Layout.T, _train, _users.AsSpan(b0, Math.Min(_batch, _users.Length - b0)));
            if (!_sgd) { _model.TrainStep(s); return; }
            _model.TrainStep(s, applyUpdate: false);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(s.Grads, -_model.Options.LearningRate, _model._params, _model._params);
        }

        public void WriteUpdate(ReadOnlySpan<float> global, Span<float> delta)
        {
            var p = _model._params;
            for (var i = 0; i < p.Length; i++) delta[i] = p[i] - global[i];
        }

        /// <summary>Restores the model's own batch size and learning rate.</summary>
        public void Dispose() => _model.Options = _saved;
    }

    public void SetGlobal(ReadOnlySpan<float> global)
    {
        var l = Layout;
        if (global.Length != l.Total) throw new ArgumentException($"global must have {l.Total} values");
        global.CopyTo(_params);
        ComputeRepresentations(_params, _reps);
    }
}
