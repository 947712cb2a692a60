using System.Diagnostics;
using Merx.Core.Data;
using Merx.Core.Import;
using Merx.Encoders;
using Merx.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Merx.Service.Catalog;

/// <summary>
/// Item images kept with the catalog (issue #19): an item links to the content hash of its image
/// (<see cref="ICatalogStore.SetItemImages"/>) and the image's ResNet18 vector is stored once per hash in the
/// catalog's item vectors, like text vectors. Images come from <c>merx import</c> (files named by the items
/// file, <see cref="EncodeFiles"/> then <see cref="Store"/>) or are uploaded over HTTP (<see cref="Upload"/>:
/// checked on the request path, encoded by the background loop). A refused image costs only its own item.
/// The encoder is loaded on first need; a host that never meets an image never loads it.
/// </summary>
public sealed class ItemImageVectors(ICatalogStore catalog, ILogger<ItemImageVectors>? log = null)
    : BackgroundEncoding<(string Item, byte[] Bytes)>(log ?? NullLogger<ItemImageVectors>.Instance, "image vectors", "uploaded images get no vector")
{
    private readonly ILogger _log = log ?? NullLogger<ItemImageVectors>.Instance;
    private readonly Lock _load = new();
    private ImageEncoder? _encoder;
    private long _encoded;

    /// <summary>Images encoded by this process so far (each distinct image stored once).</summary>
    public long Encoded => Interlocked.Read(ref _encoded);

    /// <summary>Raised after new image vectors were stored (the serving host rebuilds its snapshot).</summary>
    public event Action? VectorsStored;

    /// <summary>The encoder, loaded once. <exception cref="EncoderUnavailableException">It cannot be loaded.</exception></summary>
    public ImageEncoder Encoder
    {
        get
        {
            lock (_load) return _encoder ??= ImageEncoder.Load();
        }
    }

    /// <summary>What an import's images came to: each refused image with its item, its field and the reason.</summary>
    public sealed record FileImages(IReadOnlyList<ItemImageRef> Images, CatalogImageEncoding.Result? Encoding, IReadOnlyList<(ItemImageRef Image, string Reason)> Refused, double Seconds)
    {
        /// <summary>Images the items named (each read, unless its path was refused).</summary>
        public int Read => Images.Count;
        public int Encoded => Encoding?.Computed.Count ?? 0;
        public int Reused => Encoding?.Reused ?? 0;
        public int Distinct => Encoding?.Hashes.Where(h => h is not null).Distinct().Count() ?? 0;

        public override string ToString() =>
            $"images: {Read:N0} named, {Distinct:N0} distinct, {Encoded:N0} encoded, {Reused:N0} already stored, {Refused.Count:N0} refused " +
            $"in {Seconds:F1} s ({Read / Math.Max(Seconds, 1e-9):F1} images/s)";
    }

    /// <summary>
    /// Reads and encodes the images an items file names (each distinct image once; vectors already stored for a hash
    /// are reused). Writes nothing: <see cref="Store"/> does, once the items are in the catalog. A missing, unreadable,
    /// oversized or hostile file, a path the importer refuses, or an encoder that cannot load is that item's reason.
    /// </summary>
    public FileImages EncodeFiles(IReadOnlyList<ItemImageRef> images, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var refused = new List<(ItemImageRef, string)>();
        if (images.Count == 0) return new FileImages(images, null, refused, 0);
        ImageEncoder encoder;
        try { encoder = Encoder; }
        catch (EncoderUnavailableException e)
        {
            foreach (var r in images) refused.Add((r, r.Problem ?? "the image encoder is unavailable: " + e.Message));
            return new FileImages(images, null, refused, clock.Elapsed.TotalSeconds);
        }
        var readers = images.Select(r => r.Path is { } path ? (Func<byte[]>)(() => ReadFile(path, r.Field)) : null).ToArray();
        progress?.Report($"image vectors: reading {images.Count:N0} item images with {encoder.Id}");
        var result = CatalogImageEncoding.Encode(encoder, readers, catalog.ReadItemVectors(encoder.Id), progress, cancel);
        var errors = result.Errors.ToDictionary(e => e.Item, e => e.Error);
        for (var i = 0; i < images.Count; i++)
            if (images[i].Problem is { } problem) refused.Add((images[i], problem));
            else if (errors.TryGetValue(i, out var error)) refused.Add((images[i], error));
        return new FileImages(images, result, refused, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The first image of <paramref name="images"/> that would be refused (path, file, size or decoder), without the
    /// encoder: what a strict import checks before it opens the store. Null when every image decodes.
    /// </summary>
    public static (ItemImageRef Image, string Reason)? FirstRefused(IEnumerable<ItemImageRef> images)
    {
        foreach (var r in images)
        {
            if (r.Problem is { } problem) return (r, problem);
            try { ImageDecoding.ToNetworkInput(ReadFile(r.Path!, r.Field)); }
            catch (Exception e) when (e is ImageRejectedException or IOException or UnauthorizedAccessException) { return (r, e.Message); }
        }
        return null;
    }

    /// <summary>Stores what <see cref="EncodeFiles"/> computed and links each item to its image (its items must be in the catalog). Returns the links written.</summary>
    public int Store(FileImages images)
    {
        if (images.Encoding is not { } result) return 0;
        if (result.Computed.Count > 0)
        {
            catalog.StoreItemVectors(ImageEncoder.ModelId, result.Computed);
            Interlocked.Add(ref _encoded, result.Computed.Count);
        }
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < images.Images.Count; i++)
            if (result.Hashes[i] is { } hash) links[images.Images[i].ItemId] = hash;   // an item named twice: its last image
        var written = catalog.SetItemImages(ImageEncoder.ModelId, links);
        if (result.Computed.Count > 0 || written > 0) VectorsStored?.Invoke();
        return written;
    }

    /// <summary>An image file's bytes; a file over <see cref="ImageDecoding.MaxBytes"/> is refused before it is read.</summary>
    private static byte[] ReadFile(string path, string field)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"image file '{FieldRules.Clip(field)}' not found");
        if (info.Length > ImageDecoding.MaxBytes) throw new ImageRejectedException($"the image has {info.Length:N0} bytes, more than the {ImageDecoding.MaxBytes:N0} allowed");
        return File.ReadAllBytes(path);
    }

    /// <summary>How an upload ended.</summary>
    public enum UploadStatus { Accepted, UnknownItem, TooLarge, Refused }

    /// <summary>An upload's answer: the image's content hash when accepted, the reason when refused.</summary>
    public sealed record UploadResult(UploadStatus Status, string? Hash = null, string? Reason = null);

    /// <summary>
    /// An uploaded image for a catalog item: refused when too large or when the decoder refuses it (the reason is the
    /// decoder's); otherwise the item is linked to its hash at once and the vector is computed by the background
    /// loop, off the request path (until then the item has an image and no image vector).
    /// </summary>
    public UploadResult Upload(string itemId, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length > ImageDecoding.MaxBytes) return new(UploadStatus.TooLarge, Reason: $"the image has {bytes.Length:N0} bytes, more than the {ImageDecoding.MaxBytes:N0} allowed");
        if (catalog.GetItem(itemId) is null) return new(UploadStatus.UnknownItem, Reason: $"no catalog item '{itemId}'");
        try { ImageDecoding.ToNetworkInput(bytes); }
        catch (ImageRejectedException e) { return new(UploadStatus.Refused, Reason: e.Message); }
        var hash = CatalogImageEncoding.Hash(bytes, ImageEncoder.ModelId);
        try { catalog.SetItemImages(ImageEncoder.ModelId, new Dictionary<string, string> { [itemId] = hash }); }
        catch (ArgumentException) { return new(UploadStatus.UnknownItem, Reason: $"no catalog item '{itemId}'"); }   // deleted meanwhile
        Post((itemId, bytes));
        return new(UploadStatus.Accepted, hash);
    }

    /// <summary>Removes an item's image link. False when it had none.</summary>
    public bool Remove(string itemId) => catalog.RemoveItemImage(itemId);

    /// <summary>Encodes the uploaded images (images already stored are reused). Returns how many images were new.</summary>
    public override int Drain(CancellationToken cancel = default)
    {
        var batch = TakeQueued();
        if (batch.Count == 0) return 0;
        var encoder = Encoder;
        var result = CatalogImageEncoding.Encode(encoder, batch.Select(b => (Func<byte[]>?)(() => b.Bytes)).ToArray(), catalog.ReadItemVectors(encoder.Id), null, cancel);
        foreach (var (i, error) in result.Errors) _log.LogWarning("image of item {Item} not encoded: {Reason}", batch[i].Item, error);
        if (result.Computed.Count == 0) return 0;
        catalog.StoreItemVectors(encoder.Id, result.Computed);
        Interlocked.Add(ref _encoded, result.Computed.Count);
        VectorsStored?.Invoke();
        return result.Computed.Count;
    }

    /// <summary>
    /// The stored image vectors of a catalog's items (aligned with <paramref name="count"/> indices, item ids from
    /// <paramref name="idAt"/>): an item linked to an image whose vector is stored has it; null when no item has an image link.
    /// </summary>
    public static PretrainedVectors? Stored(ICatalogStore catalog, int count, Func<int, string> idAt)
    {
        var links = catalog.ReadItemImages(ImageEncoder.ModelId);
        if (links.Count == 0) return null;
        var vectors = catalog.ReadItemVectors(ImageEncoder.ModelId);
        var rows = new float[]?[count];
        for (var i = 0; i < count; i++)
            if (links.TryGetValue(idAt(i), out var hash) && vectors.TryGetValue(hash, out var v) && v.Length == ImageEncoder.VectorDimension) rows[i] = v;
        return PretrainedVectors.FromRows(ImageEncoder.ModelId, ImageEncoder.VectorDimension, rows);
    }

    public override void Dispose()
    {
        base.Dispose();
        _encoder?.Dispose();
    }
}
