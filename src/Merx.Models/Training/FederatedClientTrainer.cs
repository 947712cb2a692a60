using Merx.Models.Federated;

namespace Merx.Models.Training;

/// <summary>
/// The client side of federated training: one client's local round, the same loop for every
/// <see cref="IFederatedModel"/> (epochs of steps over the client's own examples), with the model
/// supplying only its sampling and step math through <see cref="IFederatedClient"/>.
/// </summary>
public static class FederatedClientTrainer
{
    /// <summary>
    /// One client's local training from <paramref name="global"/> (P) on <paramref name="shard"/>
    /// only; writes Δ = local − global into <paramref name="delta"/> (P) and returns the number of
    /// training examples it used, at least 1 (the FedAvg weight). All sampling draws from one
    /// <see cref="Random"/> seeded with <paramref name="seed"/>, so the update is deterministic.
    /// </summary>
    public static long LocalUpdate(IFederatedModel model, ReadOnlySpan<float> global, ClientShard shard, FederatedLocalOptions options, int seed, Span<float> delta)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(options);
        var p = model.SharedParameterCount;
        if (global.Length != p || delta.Length != p) throw new ArgumentException($"global and delta must have {p} values (the shared parameters)");
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "local epochs must be ≥ 1");
        var rng = new Random(seed);
        using var client = model.BeginLocal(global, shard, options, seed, rng);
        var steps = client.StepsPerEpoch;
        if (steps > 0)
            for (var e = 0; e < options.Epochs; e++)
            {
                client.BeginEpoch(rng);
                for (long s = 0; s < steps; s++) client.Step(s, rng);
            }
        client.WriteUpdate(global, delta);
        return Math.Max(1, client.Examples);
    }
}
