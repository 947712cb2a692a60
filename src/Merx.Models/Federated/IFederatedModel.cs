using Merx.Core.Contracts;

namespace Merx.Models.Federated;

/// <summary>How a client trains locally in one federated round.</summary>
/// <param name="Epochs">Passes over the client's own data per round.</param>
/// <param name="LearningRate">Local optimizer step size; null = the model's own default.</param>
/// <param name="BatchSize">Local mini-batch (sequences for the Transformer); null = the model's default.</param>
/// <param name="Sgd">Plain SGD locally instead of the model's adaptive optimizer (Adam/Adagrad reset every round), for server-side adaptivity (FedAdam).</param>
/// <param name="UserRefitEpochs">
/// Passes that first refit the client's own per-user state (BPR's user factors) against the current
/// global model, shared side fixed, before the round's joint training (0 = off; models without
/// per-user state ignore it). Also the passes of the end-of-training refit (<see cref="IFederatedModel.RefitLocal"/>).
/// </param>
public sealed record FederatedLocalOptions(int Epochs = 1, float? LearningRate = null, int? BatchSize = null, bool Sgd = false, int UserRefitEpochs = 0);

/// <summary>
/// A model that can be trained by federated averaging: the server holds one flat vector of shared
/// parameters (the "global model"); a client starts from it, trains on its own shard only, and
/// returns the difference. Per-user state that never leaves a client (BPR's user factors) stays
/// inside the model, touched only by the owning client's calls. After training, the server installs
/// the final global vector with <see cref="SetGlobal"/> and the model answers like a fitted one.
/// </summary>
public interface IFederatedModel : IRecommender
{
    /// <summary>
    /// Sets shapes from the catalog (item count, side information) and returns the initial global
    /// vector (P). Reads no user's interactions except to size the model.
    /// </summary>
    float[] InitializeFederated(TrainingData data, int seed);

    /// <summary>Length P of the shared vector (the global model and every client's update).</summary>
    int SharedParameterCount { get; }

    /// <summary>
    /// Prepares one client's local copy for a round: installs <paramref name="global"/> (P) as the
    /// starting point, resets the client's optimizer state, and does any per-user preparation the
    /// model needs (drawing from <paramref name="rng"/>, the round's one stream, which the trainer
    /// then passes on to <see cref="IFederatedClient.BeginEpoch"/> and <see cref="IFederatedClient.Step"/>).
    /// Reads only <paramref name="shard"/>. <paramref name="seed"/> seeds any other randomness the
    /// model keeps (the Transformer's dropout). The loop over epochs and steps is
    /// <see cref="Training.FederatedClientTrainer"/>'s, so every model runs the same one.
    /// </summary>
    IFederatedClient BeginLocal(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Random rng);

    /// <summary>Installs a global vector (P) as the model's parameters for scoring.</summary>
    void SetGlobal(ReadOnlySpan<float> global);

    /// <summary>
    /// Purely local, after training: the client refits its own per-user state against the installed
    /// global model (shared side fixed) for <see cref="FederatedLocalOptions.UserRefitEpochs"/> passes
    /// and sends nothing, so it costs no communication and no privacy. A user's state otherwise only
    /// moves in the rounds its client takes part in and lags the final model. Models without per-user
    /// state (the Transformer encodes a user from the history) do nothing.
    /// </summary>
    void RefitLocal(ClientShard shard, FederatedLocalOptions options, int seed) { }
}

/// <summary>
/// One client's local round, as prepared by <see cref="IFederatedModel.BeginLocal"/>: the model's
/// own example sampling and step math; <see cref="Training.FederatedClientTrainer"/> drives it.
/// Disposing it restores anything the round overrode in the model.
/// </summary>
public interface IFederatedClient : IDisposable
{
    /// <summary>Training examples the client holds (the FedAvg weight before the floor of 1).</summary>
    long Examples { get; }

    /// <summary>Steps in one local epoch (0 = nothing to train on: the client sends a zero update).</summary>
    long StepsPerEpoch { get; }

    /// <summary>The start of a local epoch: the model's per-epoch sampling (the Transformer shuffles its sequences).</summary>
    void BeginEpoch(Random rng);

    /// <summary>Step <paramref name="step"/> (0-based, &lt; <see cref="StepsPerEpoch"/>) of the epoch: samples its batch of examples and updates the local copy.</summary>
    void Step(long step, Random rng);

    /// <summary>Writes Δ = local − <paramref name="global"/> (P values each): what the client sends.</summary>
    void WriteUpdate(ReadOnlySpan<float> global, Span<float> delta);
}
