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

    /// <summary>Writes the envelope (header, payload, SHA-256) to a stream.</summary>
    public static void Write(Stream stream, string name, Action<BinaryWriter> writePayload)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true)) writePayload(w);
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        using var bw = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        bw.Write(Magic);
        bw.Write(FormatVersion);
        bw.Write(name);
        bw.Write((long)bytes.Length);
        bw.Write(bytes);
        bw.Write(SHA256.HashData(bytes));
    }

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
        var payload = r.ReadBytes((int)length);
        var hash = r.ReadBytes(32);
        if (payload.Length != length || hash.Length != 32) throw new InvalidDataException($"{source} is truncated");
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash)) throw new InvalidDataException($"{source} failed its checksum: the data is corrupted");
        using var pr = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
        return load(name, pr);
    }
}
