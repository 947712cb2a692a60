using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;
using Merx.Models;

namespace Merx.Cli.Commands;

/// <summary>Item text vectors for commands that read a data set from files (no store, so no stored vectors to reuse).</summary>
internal static class CliText
{
    /// <summary>The `--no-text` switch: models that can read item text vectors train without them (for ablations).</summary>
    public static System.CommandLine.Option<bool> NoTextOption() =>
        new("--no-text") { Description = "do not compute item text vectors: models that can read them (text, sasrec) train without (ablation)" };

    /// <summary>The `--text-cache FILE` option: text vectors by content hash, reused across runs.</summary>
    public static System.CommandLine.Option<string?> CacheOption() =>
        new("--text-cache") { Description = "file of item text vectors by content hash: read before encoding, updated after, so a second run encodes only new or changed items" };

    /// <summary>
    /// Text vectors of the catalog when one of <paramref name="models"/> reads them and some item has
    /// text; null otherwise (Beauty, Taobao: nothing to encode, and every model behaves as without).
    /// </summary>
    public static PretrainedVectors? ForModels(IEnumerable<string> models, IReadOnlyList<Item?> catalog, bool disabled = false, string? cache = null)
    {
        if (disabled || !models.Any(ModelRegistry.ReadsText)) return null;
        return Encode(catalog, cache);
    }

    /// <summary>Text vectors of the catalog, or null when no item has text.</summary>
    public static PretrainedVectors? Encode(IReadOnlyList<Item?> catalog, string? cache = null)
    {
        if (!catalog.Any(i => i is not null && ItemText.Of(i) is not null)) return null;
        using var encoder = TextEncoder.Load();
        var known = cache is null ? null : TextVectorFile.Read(cache, encoder.Id, encoder.Dimension);
        var result = CatalogTextEncoding.Encode(encoder, catalog, known, Cli.Progress);
        if (cache is not null && result.Computed.Count > 0)
        {
            foreach (var (hash, v) in result.Computed) known![hash] = v;
            TextVectorFile.Write(cache, encoder.Id, encoder.Dimension, known!);
            Cli.Progress.Report($"text vectors: {result.Computed.Count:N0} new vectors added to {cache}");
        }
        return result.Vectors;
    }

    /// <summary>The `--images DIR` option: item images as files named by item id.</summary>
    public static System.CommandLine.Option<string?> ImagesOption() =>
        new("--images") { Description = "folder of item images named ITEM_ID.png/.jpg/.jpeg/.webp: each is decoded (SkiaSharp) and embedded (ResNet18, 512-d); the image vector joins the text vector as the models' item side information. A bad image is reported and skipped" };

    /// <summary>
    /// Image vectors of the catalog from <paramref name="folder"/> (item i's file is named by its id), or null when no
    /// item has a file there. Each refused image is reported on stderr with its reason; the others are used.
    /// </summary>
    public static PretrainedVectors? Images(IReadOnlyList<Item?> catalog, string folder)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"--images: no folder {folder}");
        string[] extensions = [".png", ".jpg", ".jpeg", ".webp"];
        var images = catalog.Select(item => item is null ? null
            : extensions.Select(e => Path.Combine(folder, item.Id + e)).FirstOrDefault(File.Exists) is { } path ? (Func<byte[]>)(() => File.ReadAllBytes(path)) : null).ToArray();
        if (images.All(i => i is null)) { Cli.Progress.Report($"image vectors: no item has an image in {folder}"); return null; }
        using var encoder = ImageEncoder.Load();
        var result = CatalogImageEncoding.Encode(encoder, images, progress: Cli.Progress);
        foreach (var (item, error) in result.Errors) Cli.Progress.Report($"image of item {catalog[item]!.Id} refused: {error}");
        return result.Vectors;
    }
}
