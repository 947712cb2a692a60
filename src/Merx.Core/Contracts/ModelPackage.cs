using System.Text;
using Merx.Core.Data;

namespace Merx.Core.Contracts;

/// <summary>
/// A fitted model as it is published: the model, the item id map its rows refer to, and the
/// metrics it was selected with. The bytes are a <see cref="ModelFile"/> envelope (versioned,
/// checksummed), so a store can keep them as a blob and any replica can load them.
/// </summary>
public sealed record ModelPackage(IRecommender Model, IdMap Items, string MetricsJson)
{
    public string Name => Model.Name;

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        ModelFile.Write(ms, Model.Name, WritePayload);
        return ms.ToArray();
    }

    public void Save(string path) => ModelFile.Save(path, Model.Name, WritePayload);

    /// <summary>Writes the package's bytes (what <see cref="ToBytes"/> returns) to a stream, never holding them whole.</summary>
    public void WriteTo(Stream stream) => ModelFile.Write(stream, Model.Name, WritePayload);

    private void WritePayload(BinaryWriter w)
    {
        Items.Write(w);
        w.Write(MetricsJson);
        Model.Write(w);
    }

    /// <summary>Loads a package; <paramref name="readModel"/> maps a model name to its reader (the model registry).</summary>
    public static ModelPackage Load(string path, Func<string, BinaryReader, IRecommender> readModel)
    {
        using var fs = File.OpenRead(path);
        return Read(fs, readModel, path);
    }

    public static ModelPackage FromBytes(byte[] bytes, Func<string, BinaryReader, IRecommender> readModel) =>
        Read(new MemoryStream(bytes), readModel, "model package");

    /// <summary>Reads a package from a stream (a registry's payload stream), to the stream's end.</summary>
    /// <param name="sharedIds">Maps an item id read to an equal string the caller holds (<see cref="IdMap.Read"/>), or null.</param>
    public static ModelPackage FromStream(Stream stream, Func<string, BinaryReader, IRecommender> readModel, Func<string, string>? sharedIds = null)
    {
        var package = Read(stream, readModel, "model package", sharedIds);
        // The rest, if any, still goes through the stream, whose end is where a registry checks its checksum.
        if (stream.ReadByte() >= 0) throw new InvalidDataException("model package has bytes after its end");
        return package;
    }

    private static ModelPackage Read(Stream stream, Func<string, BinaryReader, IRecommender> readModel, string source, Func<string, string>? sharedIds = null) =>
        ModelFile.Read(stream, (name, r) =>
        {
            var items = IdMap.Read(r, sharedIds);
            var metrics = r.ReadString();
            var model = readModel(name, r);
            if (model.ItemCount != items.Count) throw new InvalidDataException($"model '{name}' scores {model.ItemCount} items but its id map has {items.Count}");
            return new ModelPackage(model, items, metrics);
        }, source);
}
