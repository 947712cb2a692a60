using System.Security.Cryptography;

namespace Merx.Privacy.Federated;

/// <summary>
/// Where a <see cref="SecureAggregationClient"/> gets the secrets its masks are built from: its two
/// ECDH P-256 key pairs (the mask key's ECDH secrets seed the pairwise masks) and its 32-byte self-mask
/// seed b. <see cref="Os"/> (the default) draws them from the operating system's CSPRNG, which the
/// protocol's security rests on. A subclass exists only so a statistical test can replay the same masks
/// (issue 16: a seeded χ² test); a predictable source breaks the masking and must never be used otherwise.
/// </summary>
public class SecureAggregationKeySource
{
    /// <summary>The operating system's CSPRNG: fresh keys and seeds, unpredictable.</summary>
    public static SecureAggregationKeySource Os { get; } = new();

    /// <summary>A fresh ECDH key pair on P-256 (the caller disposes it).</summary>
    public virtual ECDiffieHellman NewKey() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Fills <paramref name="secret"/> with secret random bytes (the self-mask seed b).</summary>
    public virtual void Fill(Span<byte> secret) => RandomNumberGenerator.Fill(secret);
}
