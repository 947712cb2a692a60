using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Merx.Privacy.Federated;

/// <summary>
/// Expands a 32-byte seed into a mask of 64-bit ring elements with AES-256 in counter mode (block k
/// = AES_seed(k as 128-bit little-endian), two ring elements per block). Both parties of a pair derive
/// the same seed, so they produce the same mask and their masks cancel in the sum.
/// </summary>
public static class MaskPrg
{
    /// <summary>Fills <paramref name="output"/> with PRG(seed). seed: 32 bytes.</summary>
    public static void Expand(ReadOnlySpan<byte> seed, Span<ulong> output)
    {
        if (seed.Length != 32) throw new ArgumentException($"mask seed must be 32 bytes, got {seed.Length}", nameof(seed));
        var blocks = (output.Length + 1) / 2;
        var counters = new byte[blocks * 16];
        for (var k = 0; k < blocks; k++) BinaryPrimitives.WriteInt64LittleEndian(counters.AsSpan(k * 16), k);
        var stream = new byte[blocks * 16];
        using var aes = Aes.Create();
        aes.Key = seed.ToArray();
        aes.EncryptEcb(counters, stream, PaddingMode.None);
        MemoryMarshal.Cast<byte, ulong>(stream)[..output.Length].CopyTo(output);
    }
}
