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

    public static void Save(string path, string name, Action<BinaryWriter> writePayload)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true)) writePayload(w);
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            using (var w = new BinaryWriter(fs, Encoding.UTF8))
            {
                w.Write(Magic);
                w.Write(FormatVersion);
                w.Write(name);
                w.Write((long)bytes.Length);
                w.Write(bytes);
                w.Write(SHA256.HashData(bytes));
                w.Flush();
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Reads and verifies the envelope, then hands the payload to the loader registered for its model name.</summary>
    public static T Load<T>(string path, Func<string, BinaryReader, T> load)
    {
        using var fs = File.OpenRead(path);
        using var r = new BinaryReader(fs, Encoding.UTF8);
        var magic = r.ReadBytes(Magic.Length);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path} is not a Merx model file");
        var version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"{path} has model format version {version}; this build reads version {FormatVersion}");
        var name = r.ReadString();
        var length = r.ReadInt64();
        if (length < 0 || length > fs.Length) throw new InvalidDataException($"{path} is truncated");
        var payload = r.ReadBytes((int)length);
        var hash = r.ReadBytes(32);
        if (payload.Length != length || hash.Length != 32) throw new InvalidDataException($"{path} is truncated");
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash)) throw new InvalidDataException($"{path} failed its checksum: the file is corrupted");
        using var pr = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
        return load(name, pr);
    }
}
