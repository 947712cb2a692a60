namespace Merx.Encoders;

/// <summary>
/// A file of text vectors by content hash, for commands that read a data set from files rather
/// than from a store (`merx evaluate --text-cache`): a second run over the same catalog encodes
/// nothing. Written whole to a temporary file and renamed, so a crash leaves the old file intact.
/// </summary>
public static class TextVectorFile
{
    private const int Magic = 0x5654584D; // "MXTV"
    private const int Version = 1;

    /// <summary>The vectors stored for <paramref name="encoderId"/> (empty when the file does not exist).</summary>
    /// <exception cref="InvalidDataException">The file is not a vector file, is truncated, or was written by another encoder.</exception>
    public static Dictionary<string, float[]> Read(string path, string encoderId, int dimension)
    {
        var map = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (!File.Exists(path)) return map;
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            if (r.ReadInt32() != Magic || r.ReadInt32() != Version) throw new InvalidDataException($"{path} is not a Merx text vector file");
            var id = r.ReadString(); var dim = r.ReadInt32(); var n = r.ReadInt32();
            if (id != encoderId || dim != dimension) throw new InvalidDataException($"{path} holds {dim}-d vectors of {id}, not {dimension}-d vectors of {encoderId}: use another file");
            if (n < 0) throw new InvalidDataException($"{path}: negative count");
            for (var k = 0; k < n; k++)
            {
                var hash = r.ReadString();
                var v = new float[dim];
                for (var i = 0; i < dim; i++) v[i] = r.ReadSingle();
                map[hash] = v;
            }
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path} is truncated", e); }
        return map;
    }

    /// <summary>Writes every vector of <paramref name="vectors"/> (hash → vector), replacing the file atomically.</summary>
    public static void Write(string path, string encoderId, int dimension, IReadOnlyDictionary<string, float[]> vectors)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp)))
        {
            w.Write(Magic); w.Write(Version); w.Write(encoderId); w.Write(dimension); w.Write(vectors.Count);
            foreach (var (hash, v) in vectors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (v.Length != dimension) throw new ArgumentException($"vector {hash} has {v.Length} entries, expected {dimension}");
                w.Write(hash);
                foreach (var f in v) w.Write(f);
            }
        }
        File.Move(tmp, full, overwrite: true);
    }
}
