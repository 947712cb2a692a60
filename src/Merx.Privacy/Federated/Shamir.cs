using System.Security.Cryptography;

namespace Merx.Privacy.Federated;

/// <summary>One Shamir share: the evaluation point x (1..255) and the secret's bytes shared byte-wise.</summary>
public sealed record ShamirShare(byte X, byte[] Y);

/// <summary>
/// Shamir's t-of-n secret sharing (Shamir 1979) over GF(2⁸), byte by byte: each byte of the secret is
/// the constant term of its own random polynomial of degree t−1; share x holds the polynomials' values
/// at x. Any t shares give the secret by Lagrange interpolation at 0; t−1 shares give no information
/// (every secret is equally consistent with them). At most 255 shares (x = 1..255).
/// Field: GF(2⁸) with the AES polynomial x⁸+x⁴+x³+x+1, multiplication through log/antilog tables of
/// the generator 3.
/// </summary>
public static class Shamir
{
    private static readonly byte[] Exp = new byte[510];
    private static readonly byte[] Log = new byte[256];

    static Shamir()
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            Exp[i] = Exp[i + 255] = (byte)x;
            Log[x] = (byte)i;
            x ^= x << 1; // multiply by the generator 3 = x + 1
            if ((x & 0x100) != 0) x ^= 0x11b;
        }
    }

    internal static byte Mul(byte a, byte b) => a == 0 || b == 0 ? (byte)0 : Exp[Log[a] + Log[b]];

    internal static byte Div(byte a, byte b)
    {
        if (b == 0) throw new DivideByZeroException("GF(256) division by zero");
        return a == 0 ? (byte)0 : Exp[Log[a] + 255 - Log[b]];
    }

    /// <summary>Splits <paramref name="secret"/> into <paramref name="shares"/> shares (x = 1..n), any <paramref name="threshold"/> of which recover it.</summary>
    public static ShamirShare[] Split(ReadOnlySpan<byte> secret, int threshold, int shares)
    {
        if (threshold < 1) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be ≥ 1");
        if (shares < threshold || shares > 255) throw new ArgumentOutOfRangeException(nameof(shares), shares, $"share count must be in [threshold = {threshold}, 255]");
        var result = new ShamirShare[shares];
        for (var s = 0; s < shares; s++) result[s] = new ShamirShare((byte)(s + 1), new byte[secret.Length]);
        var coeffs = new byte[threshold]; // (t): a0 = secret byte, a1..a(t−1) random
        for (var b = 0; b < secret.Length; b++)
        {
            coeffs[0] = secret[b];
            RandomNumberGenerator.Fill(coeffs.AsSpan(1));
            for (var s = 0; s < shares; s++)
            {
                var x = (byte)(s + 1);
                byte y = 0;
                for (var k = threshold - 1; k >= 0; k--) y = (byte)(Mul(y, x) ^ coeffs[k]); // Horner
                result[s].Y[b] = y;
            }
        }
        CryptographicOperations.ZeroMemory(coeffs);
        return result;
    }

    /// <summary>
    /// Recovers the secret from shares by Lagrange interpolation at x = 0. Needs at least the threshold
    /// used by <see cref="Split"/> (with fewer it returns an unrelated value: the caller must count).
    /// Throws on duplicate or zero x, or shares of different lengths.
    /// </summary>
    public static byte[] Combine(IReadOnlyList<ShamirShare> shares)
    {
        if (shares.Count == 0) throw new ArgumentException("no shares", nameof(shares));
        var len = shares[0].Y.Length;
        var seen = new HashSet<byte>();
        foreach (var s in shares)
        {
            if (s.X == 0) throw new ArgumentException("share x must not be 0");
            if (!seen.Add(s.X)) throw new ArgumentException($"duplicate share x = {s.X}");
            if (s.Y.Length != len) throw new ArgumentException("shares have different lengths");
        }
        // Lagrange basis at 0: L_i(0) = Π_{j≠i} x_j / (x_j − x_i); subtraction is XOR in GF(2⁸).
        var basis = new byte[shares.Count];
        for (var i = 0; i < shares.Count; i++)
        {
            byte num = 1, den = 1;
            for (var j = 0; j < shares.Count; j++)
            {
                if (i == j) continue;
                num = Mul(num, shares[j].X);
                den = Mul(den, (byte)(shares[j].X ^ shares[i].X));
            }
            basis[i] = Div(num, den);
        }
        var secret = new byte[len];
        for (var b = 0; b < len; b++)
        {
            byte v = 0;
            for (var i = 0; i < shares.Count; i++) v ^= Mul(shares[i].Y[b], basis[i]);
            secret[b] = v;
        }
        return secret;
    }
}
