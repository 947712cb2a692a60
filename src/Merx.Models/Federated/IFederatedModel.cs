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

    /// <summary>
    /// One client's local training from <paramref name="global"/> (P) on <paramref name="shard"/>
    /// only; writes Δ = local − global into <paramref name="delta"/> (P) and returns the number of
    /// training examples it used (the FedAvg weight). Deterministic for a given seed.
    /// </summary>
    long LocalUpdate(ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Span<float> delta);

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
