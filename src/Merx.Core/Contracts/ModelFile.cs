using System.Security.Cryptography;
using System.Text;

namespace Merx.Core.Contracts;

/// <summary>
/// The envelope of every saved model: magic "MERXMODL", format version, model name, payload
/// length, payload, SHA-256 of the payload. Written to a temporary file and renamed over the
/// target, so a crash never leaves a half-written model; a corrupted file fails its checksum.
/// </summary>
public static class ModelFile
{
    private static readonly byte[] Magic = "MERXMODL"u8.ToArray();
    public const int FormatVersion = 1;

    public static void Save(string path, IRecommender model) => Save(path, model.Name, model.Write);

    /// <summary>Writes the envelope to a file atomically (temporary file, flush to disk, rename).</summary>
    public static void Save(string path, string name, Action<BinaryWriter> writePayload)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                Write(fs, name, writePayload);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Writes the envelope (header, payload, SHA-256) to a stream. The payload is written twice: once to count its bytes (the
    /// header states the length), then to the stream, hashed on the way; so no payload is held in memory whole (a 10M-item
    /// Transformer's is 3.2 GB, more than one .NET array holds). The writer must write the same bytes both times.
    /// </summary>
    public static void Write(Stream stream, string name, Action<BinaryWriter> writePayload)
    {
        long length;
        using (var counter = new HashingStream(Stream.Null, countOnly: true))
        {
            using (var w = new BinaryWriter(new BufferedStream(counter, 1 << 20), Encoding.UTF8)) writePayload(w);
            length = counter.Count;
        }
        using var bw = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        bw.Write(Magic);
        bw.Write(FormatVersion);
        bw.Write(name);
        bw.Write(length);
        bw.Flush();
        using var hashing = new HashingStream(stream);
        using (var w = new BinaryWriter(new BufferedStream(hashing, 1 << 20), Encoding.UTF8, leaveOpen: true)) writePayload(w);
        if (hashing.Count != length) throw new InvalidOperationException($"model '{name}' wrote {hashing.Count:N0} payload bytes after counting {length:N0}: its writer must write the same bytes every time");
        bw.Write(hashing.Hash());
        bw.Flush();
    }

    /// <summary>
    /// Payloads up to this many bytes are read whole and checked before they are parsed; larger ones are parsed as they stream
    /// in and checked at their end (the result is returned only if the check passes).
    /// </summary>
    internal static long InMemoryPayloadLimit { get; set; } = 1L << 30;

    public static T Load<T>(string path, Func<string, BinaryReader, T> load)
    {
        using var fs = File.OpenRead(path);
        return Read(fs, load, path);
    }

    /// <summary>Reads and verifies the envelope, then hands the payload to the loader registered for its model name.</summary>
    public static T Read<T>(Stream stream, Func<string, BinaryReader, T> load, string source = "model data")
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = r.ReadBytes(Magic.Length);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{source} is not a Merx model file");
        var version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"{source} has model format version {version}; this build reads version {FormatVersion}");
        var name = r.ReadString();
        var length = r.ReadInt64();
        if (length < 0 || (stream.CanSeek && length > stream.Length)) throw new InvalidDataException($"{source} is truncated");
        if (length > InMemoryPayloadLimit) return ReadStreamed(stream, r, name, length, load, source);
        var payload = r.ReadBytes((int)length);
        var hash = r.ReadBytes(32);
        if (payload.Length != length || hash.Length != 32) throw new InvalidDataException($"{source} is truncated");
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash)) throw new InvalidDataException($"{source} failed its checksum: the data is corrupted");
        using var pr = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
        return load(name, pr);
    }

    /// <summary>A payload above <see cref="InMemoryPayloadLimit"/>: parsed through a hashing reader, then its unread rest hashed and the total checked.</summary>
    private static T ReadStreamed<T>(Stream stream, BinaryReader r, string name, long length, Func<string, BinaryReader, T> load, string source)
    {
        using var hashing = new HashingStream(stream, length);
        T result;
        try
        {
            // leaveOpen: the hashing stream outlives the reader (its rest is hashed below).
            using var pr = new BinaryReader(new BufferedStream(hashing, 1 << 20), Encoding.UTF8, leaveOpen: true);
            result = load(name, pr);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException or OverflowException)
        {
            hashing.CopyTo(Stream.Null);
            // A payload that fails its checksum is reported as corrupted, whatever its parser made of it.
            if (hashing.Count == length && r.ReadBytes(32) is { Length: 32 } stored && !hashing.Hash().AsSpan().SequenceEqual(stored))
                throw new InvalidDataException($"{source} failed its checksum: the data is corrupted", e);
            throw;
        }
        hashing.CopyTo(Stream.Null);
        var hash = r.ReadBytes(32);
        if (hashing.Count != length || hash.Length != 32) throw new InvalidDataException($"{source} is truncated");
        if (!hashing.Hash().AsSpan().SequenceEqual(hash)) throw new InvalidDataException($"{source} failed its checksum: the data is corrupted");
        return result;
    }
}
