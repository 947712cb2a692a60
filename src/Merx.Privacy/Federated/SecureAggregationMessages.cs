namespace Merx.Privacy.Federated;

/// <summary>Parameters every party of one secure-aggregation round agrees on.</summary>
/// <param name="SessionId">Unique per round (bound into every derived key, so masks never repeat across rounds).</param>
/// <param name="Dimension">Length of each client's input vector.</param>
/// <param name="Threshold">t: fewest clients that must survive; also the Shamir threshold. Choose t &gt; n/2.</param>
/// <param name="Codec">Fixed-point encoding of the inputs.</param>
public sealed record SecureAggregationConfig(byte[] SessionId, int Dimension, int Threshold, FixedPoint Codec)
{
    internal void Validate()
    {
        if (SessionId is null || SessionId.Length < 8) throw new ArgumentException("session id must be at least 8 bytes (use 16 random bytes per round)");
        if (Dimension < 1) throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "dimension must be ≥ 1");
        if (Threshold < 2) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "threshold must be ≥ 2 (with 1, any single client's input would be revealed)");
        ArgumentNullException.ThrowIfNull(Codec);
    }
}

/// <summary>Round 0: a client's two public keys (SubjectPublicKeyInfo, ECDH P-256): one to encrypt shares to it, one for pairwise masks.</summary>
public sealed record AdvertisedKeys(int ClientId, byte[] EncryptionPublicKey, byte[] MaskPublicKey);

/// <summary>Round 1: a client's Shamir shares for one peer, AES-GCM-encrypted to that peer (the server only routes it).</summary>
public sealed record EncryptedShare(int From, int To, byte[] Nonce, byte[] Ciphertext, byte[] Tag);

/// <summary>Round 2: a client's masked input: x + PRG(b) ± Σ PRG(s_ij) in Z/2⁶⁴, uniformly random on its own.</summary>
public sealed record MaskedInput(int ClientId, ulong[] Values);

/// <summary>
/// Round 3: a surviving client's shares, for each peer that survived, of the peer's self-mask seed b,
/// and for each peer that dropped, of the peer's mask private key (never both for one peer).
/// </summary>
public sealed record UnmaskingResponse(int ClientId, IReadOnlyDictionary<int, ShamirShare> SelfMaskShares, IReadOnlyDictionary<int, ShamirShare> MaskKeyShares);

/// <summary>Secure aggregation cannot proceed (too few clients left, or a protocol violation).</summary>
public sealed class SecureAggregationException(string message) : InvalidOperationException(message);
