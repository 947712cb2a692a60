using System.Security.Cryptography;

namespace Merx.Privacy.Federated;

/// <summary>
/// One client of secure aggregation (Bonawitz et al. 2017, "Practical Secure Aggregation for
/// Privacy-Preserving Machine Learning", CCS; the semi-honest variant): the server learns the sum of
/// the surviving clients' vectors and nothing else about any one of them. Per round:
/// (0) <see cref="AdvertiseKeys"/>: two fresh ECDH P-256 key pairs, one to encrypt shares, one for masks;
/// (1) <see cref="ShareKeys"/>: a random self-mask seed b and the mask private key are Shamir-shared
/// t-of-n, one share per peer, each encrypted to that peer with AES-GCM under an ECDH-derived key;
/// (2) <see cref="MaskInput"/>: y = x + PRG(b) + Σ_{j&gt;i} PRG(s_ij) − Σ_{j&lt;i} PRG(s_ij) in Z/2⁶⁴, where
/// s_ij is the ECDH secret of i and j's mask keys, so pairwise masks cancel in the sum;
/// (3) <see cref="Unmask"/>: for each peer that survived, its share of the peer's b (so the server can
/// remove PRG(b)); for each peer that dropped, its share of the peer's mask key (so the server can
/// remove the dropped peer's pairwise masks). Never both for one peer, so no y is ever fully unmasked.
/// </summary>
public sealed class SecureAggregationClient : IDisposable
{
    private readonly SecureAggregationConfig _config;
    private readonly ECDiffieHellman _encKey;
    private readonly ECDiffieHellman _maskKey;
    private readonly byte[] _selfSeed = new byte[32];
    private Dictionary<int, AdvertisedKeys>? _peers;
    private readonly Dictionary<int, (ShamirShare Self, ShamirShare MaskKey)> _held = [];
    private HashSet<int>? _maskedWith;

    /// <param name="clientId">This client's id in the round (unique among its clients).</param>
    /// <param name="config">The round's session, dimension, threshold and codec, the same for every client.</param>
    /// <param name="keys">Source of the key pairs and the self-mask seed; null = <see cref="SecureAggregationKeySource.Os"/>.
    /// Anything else is for tests only (a predictable source makes the masks predictable).</param>
    public SecureAggregationClient(int clientId, SecureAggregationConfig config, SecureAggregationKeySource? keys = null)
    {
        config.Validate();
        ClientId = clientId;
        _config = config;
        keys ??= SecureAggregationKeySource.Os;
        _encKey = keys.NewKey();
        _maskKey = keys.NewKey();
        keys.Fill(_selfSeed);
    }

    public int ClientId { get; }

    /// <summary>Round 0.</summary>
    public AdvertisedKeys AdvertiseKeys() =>
        new(ClientId, _encKey.ExportSubjectPublicKeyInfo(), _maskKey.ExportSubjectPublicKeyInfo());

    /// <summary>Round 1: given every advertised key set (this client's included), the encrypted shares for each peer.</summary>
    public IReadOnlyList<EncryptedShare> ShareKeys(IReadOnlyList<AdvertisedKeys> all)
    {
        _peers = all.ToDictionary(k => k.ClientId);
        if (!_peers.ContainsKey(ClientId)) throw new SecureAggregationException($"client {ClientId} is missing from the advertised keys");
        if (_peers.Count < _config.Threshold) throw new SecureAggregationException($"only {_peers.Count} clients advertised keys; the threshold is {_config.Threshold}");
        if (_peers.Count > 255) throw new SecureAggregationException($"{_peers.Count} clients: at most 255 per round (Shamir over GF(256)); group users into shards");
        var order = _peers.Keys.Order().ToArray();
        var selfShares = Shamir.Split(_selfSeed, _config.Threshold, order.Length);
        var d = _maskKey.ExportParameters(true).D!;
        var keyShares = Shamir.Split(d, _config.Threshold, order.Length);
        CryptographicOperations.ZeroMemory(d);
        var outgoing = new List<EncryptedShare>(order.Length - 1);
        for (var p = 0; p < order.Length; p++)
        {
            var peer = order[p];
            if (peer == ClientId) { _held[ClientId] = (selfShares[p], keyShares[p]); continue; }
            // Plaintext: x ‖ share of b (32 bytes) ‖ share of the mask private key.
            var plain = new byte[1 + 32 + keyShares[p].Y.Length];
            plain[0] = selfShares[p].X;
            selfShares[p].Y.CopyTo(plain, 1);
            keyShares[p].Y.CopyTo(plain, 33);
            var key = SecureAggregationCrypto.Derive(_encKey, _peers[peer].EncryptionPublicKey, "merx-secagg-enc", _config.SessionId, ClientId, peer);
            outgoing.Add(SecureAggregationCrypto.Encrypt(key, ClientId, peer, plain, _config.SessionId));
        }
        return outgoing;
    }

    /// <summary>
    /// Round 2: stores the shares addressed to this client and returns the masked input. Pairwise masks
    /// are formed with exactly the peers whose shares arrived (the server's round-1 survivors).
    /// <paramref name="input"/>: (Dimension) values within the codec's ±MaxAbs.
    /// </summary>
    public MaskedInput MaskInput(ReadOnlySpan<double> input, IReadOnlyList<EncryptedShare> sharesForMe)
    {
        if (_peers is null) throw new SecureAggregationException("ShareKeys must run before MaskInput");
        if (input.Length != _config.Dimension) throw new ArgumentException($"input has {input.Length} values, the round expects {_config.Dimension}");
        foreach (var s in sharesForMe)
        {
            if (s.To != ClientId) throw new SecureAggregationException($"client {ClientId} was handed a share addressed to {s.To}");
            if (!_peers.TryGetValue(s.From, out var sender)) throw new SecureAggregationException($"share from unknown client {s.From}");
            var key = SecureAggregationCrypto.Derive(_encKey, sender.EncryptionPublicKey, "merx-secagg-enc", _config.SessionId, ClientId, s.From);
            var plain = SecureAggregationCrypto.Decrypt(key, s, _config.SessionId);
            var x = plain[0];
            _held[s.From] = (new ShamirShare(x, plain[1..33]), new ShamirShare(x, plain[33..]));
        }
        _maskedWith = [.. _held.Keys];
        if (_maskedWith.Count < _config.Threshold) throw new SecureAggregationException($"only {_maskedWith.Count} clients completed key sharing; the threshold is {_config.Threshold}");

        var y = new ulong[_config.Dimension];
        for (var k = 0; k < y.Length; k++) y[k] = _config.Codec.Encode(input[k]);
        var mask = new ulong[_config.Dimension];
        MaskPrg.Expand(_selfSeed, mask);
        for (var k = 0; k < y.Length; k++) y[k] += mask[k];
        foreach (var peer in _maskedWith)
        {
            if (peer == ClientId) continue;
            var seed = SecureAggregationCrypto.Derive(_maskKey, _peers[peer].MaskPublicKey, "merx-secagg-mask", _config.SessionId, ClientId, peer);
            MaskPrg.Expand(seed, mask);
            if (ClientId < peer) for (var k = 0; k < y.Length; k++) y[k] += mask[k];
            else for (var k = 0; k < y.Length; k++) y[k] -= mask[k];
        }
        return new MaskedInput(ClientId, y);
    }

    /// <summary>Round 3: given the clients whose masked inputs the server received, the shares that let it unmask the sum.</summary>
    public UnmaskingResponse Unmask(IReadOnlyCollection<int> survivors)
    {
        if (_maskedWith is null) throw new SecureAggregationException("MaskInput must run before Unmask");
        var alive = survivors.ToHashSet();
        if (!alive.Contains(ClientId)) throw new SecureAggregationException($"client {ClientId} is not in the survivor list it is asked to unmask");
        if (alive.Count < _config.Threshold) throw new SecureAggregationException($"only {alive.Count} clients survived; the threshold is {_config.Threshold}: refusing to reveal shares");
        if (!alive.IsSubsetOf(_maskedWith)) throw new SecureAggregationException("the survivor list names clients that never completed key sharing");
        var self = new Dictionary<int, ShamirShare>();
        var keys = new Dictionary<int, ShamirShare>();
        foreach (var peer in _maskedWith)
        {
            if (alive.Contains(peer)) self[peer] = _held[peer].Self;
            else keys[peer] = _held[peer].MaskKey;
        }
        return new UnmaskingResponse(ClientId, self, keys);
    }

    public void Dispose()
    {
        _encKey.Dispose();
        _maskKey.Dispose();
        CryptographicOperations.ZeroMemory(_selfSeed);
    }
}
