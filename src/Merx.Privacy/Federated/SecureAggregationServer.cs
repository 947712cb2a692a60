namespace Merx.Privacy.Federated;

/// <summary>
/// The server side of <see cref="SecureAggregationClient"/>: routes keys and encrypted shares, collects
/// masked inputs, and once at least t clients answer the unmasking round, reconstructs the survivors'
/// self-mask seeds and the dropped clients' mask keys, strips every mask, and decodes the sum. Refuses
/// with <see cref="SecureAggregationException"/> whenever fewer than t clients are left at any round.
/// </summary>
public sealed class SecureAggregationServer
{
    private readonly SecureAggregationConfig _config;
    private readonly Dictionary<int, AdvertisedKeys> _keys = [];
    private readonly Dictionary<int, List<EncryptedShare>> _sharesTo = [];
    private readonly HashSet<int> _shared = [];
    private readonly Dictionary<int, ulong[]> _masked = [];
    private readonly Dictionary<int, UnmaskingResponse> _unmasking = [];

    public SecureAggregationServer(SecureAggregationConfig config)
    {
        config.Validate();
        _config = config;
    }

    /// <summary>Round 0: a client's keys.</summary>
    public void ReceiveKeys(AdvertisedKeys keys)
    {
        if (!_keys.TryAdd(keys.ClientId, keys)) throw new SecureAggregationException($"client {keys.ClientId} advertised keys twice");
    }

    /// <summary>Round 0 → 1: every advertised key set, to broadcast.</summary>
    public IReadOnlyList<AdvertisedKeys> BroadcastKeys()
    {
        Require(_keys.Count, "advertised keys");
        return _keys.Values.OrderBy(k => k.ClientId).ToArray();
    }

    /// <summary>Round 1: one client's encrypted shares (opaque to the server).</summary>
    public void ReceiveShares(int from, IReadOnlyList<EncryptedShare> shares)
    {
        if (!_keys.ContainsKey(from)) throw new SecureAggregationException($"shares from client {from}, which advertised no keys");
        if (!_shared.Add(from)) throw new SecureAggregationException($"client {from} sent its shares twice");
        foreach (var s in shares)
        {
            if (s.From != from) throw new SecureAggregationException($"client {from} sent a share labelled as from {s.From}");
            if (!_sharesTo.TryGetValue(s.To, out var list)) _sharesTo[s.To] = list = [];
            list.Add(s);
        }
    }

    /// <summary>Round 1 → 2: the shares addressed to a client, from every client that completed round 1.</summary>
    public IReadOnlyList<EncryptedShare> SharesFor(int clientId)
    {
        Require(_shared.Count, "completed key sharing");
        if (!_shared.Contains(clientId)) throw new SecureAggregationException($"client {clientId} did not complete key sharing");
        return (_sharesTo.GetValueOrDefault(clientId) ?? []).Where(s => _shared.Contains(s.From)).ToArray();
    }

    /// <summary>Round 2: one masked input.</summary>
    public void ReceiveMaskedInput(MaskedInput input)
    {
        if (!_shared.Contains(input.ClientId)) throw new SecureAggregationException($"masked input from client {input.ClientId}, which did not complete key sharing");
        if (input.Values.Length != _config.Dimension) throw new SecureAggregationException($"masked input from client {input.ClientId} has {input.Values.Length} values, expected {_config.Dimension}");
        if (!_masked.TryAdd(input.ClientId, input.Values)) throw new SecureAggregationException($"client {input.ClientId} sent two masked inputs");
    }

    /// <summary>Round 2 → 3: the clients whose masked inputs arrived (at least t, or this throws).</summary>
    public IReadOnlyList<int> Survivors()
    {
        Require(_masked.Count, "sent masked inputs");
        return _masked.Keys.Order().ToArray();
    }

    /// <summary>Round 3: one client's unmasking shares.</summary>
    public void ReceiveUnmasking(UnmaskingResponse response)
    {
        if (!_masked.ContainsKey(response.ClientId)) throw new SecureAggregationException($"unmasking shares from client {response.ClientId}, which sent no masked input");
        if (response.SelfMaskShares.Keys.Intersect(response.MaskKeyShares.Keys).Any()) throw new SecureAggregationException($"client {response.ClientId} revealed both secrets of one peer");
        _unmasking[response.ClientId] = response;
    }

    /// <summary>The decoded sum (Dimension) of the survivors' inputs, and who they were.</summary>
    public (double[] Sum, IReadOnlyList<int> Contributors) Aggregate()
    {
        Require(_masked.Count, "sent masked inputs");
        Require(_unmasking.Count, "answered the unmasking round");
        var survivors = _masked.Keys.Order().ToArray();
        var dropped = _shared.Where(c => !_masked.ContainsKey(c)).Order().ToArray();
        var total = new ulong[_config.Dimension];
        foreach (var y in _masked.Values) for (var k = 0; k < total.Length; k++) total[k] += y[k];

        var mask = new ulong[_config.Dimension];
        foreach (var u in survivors)
        {
            var seed = Shamir.Combine(Collect(u, r => r.SelfMaskShares));
            MaskPrg.Expand(seed, mask);
            for (var k = 0; k < total.Length; k++) total[k] -= mask[k];
        }
        foreach (var d in dropped)
        {
            var scalar = Shamir.Combine(Collect(d, r => r.MaskKeyShares));
            using var key = SecureAggregationCrypto.FromPrivateScalar(scalar, _keys[d].MaskPublicKey);
            foreach (var u in survivors)
            {
                // Survivor u added +PRG(s_ud) if u < d, −PRG(s_ud) otherwise; take it back out.
                var seed = SecureAggregationCrypto.Derive(key, _keys[u].MaskPublicKey, "merx-secagg-mask", _config.SessionId, d, u);
                MaskPrg.Expand(seed, mask);
                if (u < d) for (var k = 0; k < total.Length; k++) total[k] -= mask[k];
                else for (var k = 0; k < total.Length; k++) total[k] += mask[k];
            }
        }
        var sum = new double[total.Length];
        for (var k = 0; k < sum.Length; k++) sum[k] = _config.Codec.Decode(total[k]);
        return (sum, survivors);
    }

    private List<ShamirShare> Collect(int owner, Func<UnmaskingResponse, IReadOnlyDictionary<int, ShamirShare>> pick)
    {
        var shares = new List<ShamirShare>();
        foreach (var r in _unmasking.Values)
            if (pick(r).TryGetValue(owner, out var s)) shares.Add(s);
        if (shares.Count < _config.Threshold)
            throw new SecureAggregationException($"only {shares.Count} shares for client {owner}'s secret; {_config.Threshold} are needed");
        return shares;
    }

    private void Require(int count, string what)
    {
        if (count < _config.Threshold)
            throw new SecureAggregationException($"secure aggregation needs at least t = {_config.Threshold} clients, but only {count} {what}; refusing to continue (fewer would expose individual updates)");
    }
}
