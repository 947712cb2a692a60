using System.Security.Cryptography;
using System.Text;

namespace Merx.Privacy.Federated;

/// <summary>Key agreement, key derivation and share encryption shared by client and server.</summary>
internal static class SecureAggregationCrypto
{
    internal static ECDiffieHellmanPublicKey ImportPublic(byte[] spki)
    {
        using var e = ECDiffieHellman.Create();
        e.ImportSubjectPublicKeyInfo(spki, out _);
        return e.PublicKey;
    }

    /// <summary>SHA-256(label ‖ session ‖ ECDH shared secret ‖ min(i,j) ‖ max(i,j)): the same on both sides.</summary>
    internal static byte[] Derive(ECDiffieHellman mine, byte[] peerSpki, string label, byte[] session, int a, int b)
    {
        using var peer = ImportPublic(peerSpki);
        var prepend = Encoding.ASCII.GetBytes(label).Concat(session).ToArray();
        var append = BitConverter.GetBytes(Math.Min(a, b)).Concat(BitConverter.GetBytes(Math.Max(a, b))).ToArray();
        return mine.DeriveKeyFromHash(peer, HashAlgorithmName.SHA256, prepend, append);
    }

    /// <summary>Rebuilds a mask key from its reconstructed private scalar and its advertised public key.</summary>
    internal static ECDiffieHellman FromPrivateScalar(byte[] d, byte[] spki)
    {
        using var pub = ECDiffieHellman.Create();
        pub.ImportSubjectPublicKeyInfo(spki, out _);
        var q = pub.ExportParameters(false).Q;
        var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d, Q = q });
        return key;
    }

    internal static EncryptedShare Encrypt(byte[] key, int from, int to, byte[] plaintext, byte[] session)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ct = new byte[plaintext.Length];
        var tag = new byte[16];
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(nonce, plaintext, ct, tag, Aad(from, to, session));
        return new EncryptedShare(from, to, nonce, ct, tag);
    }

    internal static byte[] Decrypt(byte[] key, EncryptedShare s, byte[] session)
    {
        var pt = new byte[s.Ciphertext.Length];
        using var gcm = new AesGcm(key, 16);
        try { gcm.Decrypt(s.Nonce, s.Ciphertext, s.Tag, pt, Aad(s.From, s.To, session)); }
        catch (AuthenticationTagMismatchException) { throw new SecureAggregationException($"share from client {s.From} to {s.To} failed authentication (tampered or misrouted)"); }
        return pt;
    }

    private static byte[] Aad(int from, int to, byte[] session) => BitConverter.GetBytes(from).Concat(BitConverter.GetBytes(to)).Concat(session).ToArray();
}
