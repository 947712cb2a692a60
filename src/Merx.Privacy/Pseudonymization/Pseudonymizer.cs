using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Merx.Privacy.Pseudonymization;

/// <summary>
/// Turns a shop's user id into a pseudonym: <c>p{version}_</c> + the first 16 bytes (128 bits) of
/// HMAC-SHA256(key, UTF-8(id)) in unpadded base64url (22 characters), e.g. <c>p1_Xq3…</c>; the demo
/// key gives <c>demo_…</c>. Deterministic (the same id always maps to the same pseudonym, so events
/// join), one-way without the key, and 128 bits make collisions negligible (≈ n²/2¹²⁹). Ids are taken
/// byte for byte: normalize case or whitespace before calling if the shop's ids need it.
/// Thread-safe: each thread keeps its own keyed <see cref="IncrementalHash"/>, reset after every id
/// (the key schedule is done once per thread, not once per id).
/// </summary>
public sealed class Pseudonymizer : IDisposable
{
    /// <summary>HMAC bytes kept in a pseudonym.</summary>
    public const int DigestBytes = 16;

    private const int EncodedLength = 22; // base64url of 16 bytes, no padding
    private readonly ThreadLocal<IncrementalHash> _hmac;
    private readonly string _prefix;

    public Pseudonymizer(PseudonymKey key)
    {
        Key = key ?? throw new ArgumentNullException(nameof(key));
        var secret = key.Secret.ToArray();
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret), trackAllValues: true);
        _prefix = key.IsDemo ? "demo_" : $"p{key.Version}_";
    }

    /// <summary>The key (its version and demo flag; the secret is not exposed).</summary>
    public PseudonymKey Key { get; }

    /// <summary>Prefix of every pseudonym this instance makes (<c>p1_</c>, <c>demo_</c>).</summary>
    public string Prefix => _prefix;

    /// <summary>Length of every pseudonym this instance makes.</summary>
    public int PseudonymLength => _prefix.Length + EncodedLength;

    /// <summary>The pseudonym of <paramref name="userId"/> (non-empty).</summary>
    public string Pseudonymize(string userId)
    {
        Span<char> chars = stackalloc char[64];
        return new string(chars[..Pseudonymize(userId, chars)]);
    }

    /// <summary>
    /// Writes the pseudonym into <paramref name="destination"/> (at least <see cref="PseudonymLength"/>
    /// chars) without allocating; returns the number of chars written.
    /// </summary>
    public int Pseudonymize(string userId, Span<char> destination)
    {
        if (destination.Length < PseudonymLength) throw new ArgumentException($"destination needs {PseudonymLength} chars", nameof(destination));
        Span<byte> digest = stackalloc byte[32];
        Digest(userId, digest);
        _prefix.AsSpan().CopyTo(destination);
        Base64Url.EncodeToChars(digest[..DigestBytes], destination[_prefix.Length..]);
        return PseudonymLength;
    }

    /// <summary>
    /// True when <paramref name="pseudonym"/> is this key's pseudonym of <paramref name="userId"/>.
    /// The digest comparison is constant-time, so timing reveals nothing about how many bytes matched.
    /// </summary>
    public bool Matches(string userId, string pseudonym)
    {
        ArgumentNullException.ThrowIfNull(pseudonym);
        if (pseudonym.Length != PseudonymLength || !pseudonym.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        Span<char> expected = stackalloc char[64];
        var n = Pseudonymize(userId, expected);
        // Compare the encoded forms byte for byte in constant time (no early exit on the first mismatch).
        return CryptographicOperations.FixedTimeEquals(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected[..n]),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(pseudonym.AsSpan()));
    }

    private void Digest(string userId, Span<byte> digest)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (userId.Length == 0) throw new ArgumentException("user id must not be empty", nameof(userId));
        var hmac = _hmac.Value!;
        var max = Encoding.UTF8.GetMaxByteCount(userId.Length);
        byte[]? rented = null;
        var buf = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetBytes(userId, buf);
            hmac.AppendData(buf[..n]);
            hmac.GetHashAndReset(digest);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Rotation map old pseudonym → new pseudonym for every known id (ids are needed: pseudonyms cannot
    /// be inverted). Apply it to the store in one transaction, then retire the old key. Where raw ids
    /// are not kept, use a <see cref="PseudonymizerRing"/> instead: it re-keys users as they come back.
    /// </summary>
    public static Dictionary<string, string> RotationMap(IEnumerable<string> knownIds, Pseudonymizer from, Pseudonymizer to)
    {
        if (from.Prefix == to.Prefix) throw new ArgumentException($"a rotation needs a new key version (both are {from.Prefix})");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in knownIds) map[from.Pseudonymize(id)] = to.Pseudonymize(id);
        return map;
    }

    public void Dispose()
    {
        foreach (var h in _hmac.Values) h.Dispose();
        _hmac.Dispose();
    }

    public override string ToString() => $"Pseudonymizer({Key})";
}
