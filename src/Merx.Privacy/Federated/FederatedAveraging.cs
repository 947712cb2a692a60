using System.Security.Cryptography;
using Merx.Privacy.Mechanisms;

namespace Merx.Privacy.Federated;

/// <summary>One client's contribution to a federated round: its model update (delta) and how many examples produced it.</summary>
public sealed record ClientUpdate(int ClientId, float[] Update, long Examples);

/// <summary>Which clients fall away, and when, in a simulated secure round (for tests and experiments).</summary>
/// <param name="BeforeMasking">Clients that complete key sharing, then send no masked input.</param>
/// <param name="BeforeUnmasking">Clients that send a masked input but not their unmasking shares.</param>
public sealed record Dropouts(IReadOnlySet<int> BeforeMasking, IReadOnlySet<int> BeforeUnmasking)
{
    public static Dropouts None { get; } = new(new HashSet<int>(), new HashSet<int>());
}

/// <summary>Result of a federated averaging round.</summary>
/// <param name="Average">(D) example-weighted mean of the contributors' updates (noise included when requested).</param>
/// <param name="Contributors">Clients whose updates are in the average.</param>
/// <param name="TotalExamples">Σ examples over the contributors (learned only as a sum under secure aggregation).</param>
public sealed record FedAvgResult(float[] Average, IReadOnlyList<int> Contributors, double TotalExamples);

/// <summary>
/// Federated averaging (McMahan et al. 2017): the new global update is Σ nₖ·Δₖ / Σ nₖ over the
/// clients k, nₖ its example count. <see cref="Plain"/> computes it in the clear; <see cref="Secure"/>
/// runs it through secure aggregation so the server only sees the two sums: every client sends the
/// vector (nₖ·Δₖ, nₖ) of length D+1, with Δ clamped to ±<c>maxAbsUpdate</c> and nₖ ≤
/// <c>maxExamples</c> (the fixed-point range). Optional Gaussian noise N(0, σ²) per coordinate on
/// the weighted sum gives central DP for the aggregate when σ is calibrated to one client's largest
/// contribution (e.g. <see cref="GaussianMechanism.AnalyticSigma"/> with Δ₂ = maxExamples·clip norm).
/// </summary>
public static class FederatedAveraging
{
    /// <summary>Example-weighted average in the clear (the reference the secure path must match).</summary>
    public static FedAvgResult Plain(IReadOnlyList<ClientUpdate> updates)
    {
        var d = CheckUpdates(updates);
        var sum = new double[d];
        double total = 0;
        foreach (var u in updates)
        {
            for (var k = 0; k < d; k++) sum[k] += u.Examples * (double)u.Update[k];
            total += u.Examples;
        }
        return new FedAvgResult(sum.Select(s => (float)(s / total)).ToArray(), updates.Select(u => u.ClientId).ToArray(), total);
    }

    /// <summary>
    /// Example-weighted average through a full secure-aggregation round among the clients (simulated
    /// in-process: every message passes through <see cref="SecureAggregationServer"/>, which never sees
    /// an unmasked update). <paramref name="threshold"/> t: fewest surviving clients (choose t &gt; n/2).
    /// <paramref name="noiseSigma"/> &gt; 0 adds N(0, σ²) to each coordinate of the weighted sum.
    /// </summary>
    public static FedAvgResult Secure(IReadOnlyList<ClientUpdate> updates, int threshold, double maxAbsUpdate, long maxExamples,
        Dropouts? dropouts = null, double noiseSigma = 0, NoiseSource? noise = null)
    {
        var d = CheckUpdates(updates);
        if (!(maxAbsUpdate > 0)) throw new ArgumentOutOfRangeException(nameof(maxAbsUpdate), maxAbsUpdate, "maxAbsUpdate must be > 0");
        if (maxExamples < 1) throw new ArgumentOutOfRangeException(nameof(maxExamples), maxExamples, "maxExamples must be ≥ 1");
        dropouts ??= Dropouts.None;
        var codec = new FixedPoint(maxExamples * maxAbsUpdate, updates.Count);
        var config = new SecureAggregationConfig(RandomNumberGenerator.GetBytes(16), d + 1, threshold, codec);
        var server = new SecureAggregationServer(config);
        var clients = updates.ToDictionary(u => u.ClientId, u => new SecureAggregationClient(u.ClientId, config));
        try
        {
            foreach (var c in clients.Values) server.ReceiveKeys(c.AdvertiseKeys());
            var keys = server.BroadcastKeys();
            foreach (var c in clients.Values) server.ReceiveShares(c.ClientId, c.ShareKeys(keys));
            var input = new double[d + 1];
            foreach (var u in updates)
            {
                if (dropouts.BeforeMasking.Contains(u.ClientId)) continue;
                if (u.Examples > maxExamples) throw new ArgumentException($"client {u.ClientId} reports {u.Examples} examples, above maxExamples = {maxExamples}");
                for (var k = 0; k < d; k++) input[k] = u.Examples * Math.Clamp((double)u.Update[k], -maxAbsUpdate, maxAbsUpdate);
                input[d] = u.Examples;
                server.ReceiveMaskedInput(clients[u.ClientId].MaskInput(input, server.SharesFor(u.ClientId)));
            }
            var survivors = server.Survivors();
            foreach (var id in survivors)
                if (!dropouts.BeforeUnmasking.Contains(id)) server.ReceiveUnmasking(clients[id].Unmask(survivors));
            var (sum, contributors) = server.Aggregate();
            if (noiseSigma > 0)
            {
                noise ??= new CryptoNoiseSource();
                for (var k = 0; k < d; k++) sum[k] += noiseSigma * noise.NextGaussian();
            }
            var total = sum[d];
            if (!(total > 0.5)) throw new SecureAggregationException("the surviving clients hold no examples");
            var avg = new float[d];
            for (var k = 0; k < d; k++) avg[k] = (float)(sum[k] / total);
            return new FedAvgResult(avg, contributors, Math.Round(total));
        }
        finally
        {
            foreach (var c in clients.Values) c.Dispose();
        }
    }

    private static int CheckUpdates(IReadOnlyList<ClientUpdate> updates)
    {
        if (updates.Count == 0) throw new ArgumentException("no client updates", nameof(updates));
        var d = updates[0].Update.Length;
        var ids = new HashSet<int>();
        foreach (var u in updates)
        {
            if (u.Update.Length != d) throw new ArgumentException($"client {u.ClientId}: update has {u.Update.Length} values, the first had {d}");
            if (u.Examples < 1) throw new ArgumentException($"client {u.ClientId}: example count must be ≥ 1, got {u.Examples}");
            if (!ids.Add(u.ClientId)) throw new ArgumentException($"client {u.ClientId} appears twice");
            foreach (var v in u.Update) if (!float.IsFinite(v)) throw new ArgumentException($"client {u.ClientId}: update has a non-finite value");
        }
        return d;
    }
}
