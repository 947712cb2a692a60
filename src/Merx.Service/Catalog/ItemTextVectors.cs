using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;
using Merx.Ranking.Pipeline;
using Merx.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Merx.Service.Catalog;

/// <summary>
/// Item text vectors kept with the catalog (issue #19): each item content (<see cref="ItemText.Hash(Item, string)"/>)
/// is encoded once by the pre-trained text encoder and stored in the catalog role; training reads
/// the stored vectors and encodes only new or changed items. Items upserted over HTTP are queued
/// (<see cref="Enqueue"/>) and encoded by the background loop, never on the request path. The
/// encoder is loaded on first need, so a host that never meets text never loads it; when it cannot
/// load, the error says why and models that do not read text keep working.
/// </summary>
public sealed class ItemTextVectors(ICatalogStore catalog, ILogger<ItemTextVectors>? log = null)
    : BackgroundEncoding<Item>(log ?? NullLogger<ItemTextVectors>.Instance, "text vectors", "upserted items get no text vector")
{
    private readonly ILogger _log = log ?? NullLogger<ItemTextVectors>.Instance;
    private readonly Lock _load = new();
    private TextEncoder? _encoder;
    private long _encoded;

    /// <summary>The catalog store the vectors are kept in.</summary>
    public ICatalogStore Catalog => catalog;

    /// <summary>Contents encoded by this process so far (each stored once).</summary>
    public long Encoded => Interlocked.Read(ref _encoded);

    /// <summary>Raised after new item vectors were stored (the serving host rebuilds its snapshot, so new items enter the item index).</summary>
    public event Action? VectorsStored;

    /// <summary>The encoder, loaded once. <exception cref="EncoderUnavailableException">It cannot be loaded.</exception></summary>
    public TextEncoder Encoder
    {
        get
        {
            lock (_load) return _encoder ??= TextEncoder.Load();
        }
    }

    /// <summary>
    /// Text vectors for <paramref name="items"/> (aligned with them), from the store where their
    /// content is known and from the encoder otherwise (the new vectors are stored). Null when no
    /// item has text: no encoder is loaded then.
    /// </summary>
    public PretrainedVectors? VectorsFor(IReadOnlyList<Item?> items, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        if (!items.Any(i => i is not null && ItemText.Of(i) is not null)) return null;
        var encoder = Encoder;
        var result = CatalogTextEncoding.Encode(encoder, items, catalog.ReadItemVectors(encoder.Id), progress, cancel);
        if (result.Computed.Count > 0)
        {
            catalog.StoreItemVectors(encoder.Id, result.Computed);
            Interlocked.Add(ref _encoded, result.Computed.Count);
            VectorsStored?.Invoke();
        }
        return result.Vectors;
    }

    /// <summary>
    /// The stored vectors of a catalog's items (no encoding: an item whose current content has not
    /// been encoded yet has none); null when none is stored.
    /// </summary>
    public static PretrainedVectors? Stored(ICatalogStore store, CatalogIndex catalog)
    {
        var stored = store.ReadItemVectors(TextEncoder.ModelId);
        if (stored.Count == 0) return null;
        var rows = new float[]?[catalog.Count];
        catalog.ForEachEntry((i, item) =>
        {
            if (ItemText.Hash(item, TextEncoder.ModelId) is { } h && stored.TryGetValue(h, out var v) && v.Length == TextEncoder.VectorDimension) rows[i] = v;
        });
        return PretrainedVectors.FromRows(TextEncoder.ModelId, TextEncoder.VectorDimension, rows);
    }

    /// <summary>A search query's text vector, or null when the encoder cannot be loaded (search then falls back to keywords; the reason is logged once).</summary>
    public float[]? TryEncodeQuery(string query)
    {
        if (_unavailable) return null;
        try { return Encoder.Encode([query])[0]; }
        catch (EncoderUnavailableException e)
        {
            _unavailable = true;
            _log.LogError("text encoder unavailable, search uses keywords only: {Message}", e.Message);
            return null;
        }
    }

    private volatile bool _unavailable;

    /// <summary>Items per request whose tags are suggested at most: their text is encoded on the request path (a few ms each).</summary>
    public const int MaxTagSuggestions = 20;

    /// <summary>
    /// Suggested tags for the items sent without tags or category (at most <see cref="MaxTagSuggestions"/>):
    /// the tags of the catalog items nearest each one's text (<see cref="Models.Tags.TagSuggester"/>).
    /// Empty when the catalog has no stored text vectors or the encoder is unavailable.
    /// </summary>
    public IReadOnlyDictionary<string, string[]> SuggestTags(IReadOnlyList<Item> items, Serving.ServingSnapshot? snapshot, int n = 3)
    {
        var untagged = items.Where(i => i.Tags.Count == 0 && i.CategoryPath.Count == 0 && ItemText.Of(i) is not null).Take(MaxTagSuggestions).ToArray();
        if (untagged.Length == 0 || snapshot?.TextVectors is not { PresentCount: > 0 } vectors || _unavailable) return new Dictionary<string, string[]>();
        var labels = new IReadOnlyList<string>[snapshot.Catalog.Count];
        Array.Fill(labels, []);
        snapshot.Catalog.ForEachEntry((i, item) => labels[i] = Models.Tags.TagSuggester.LabelsOf(item));
        var suggester = new Models.Tags.TagSuggester(labels, vectors, null);
        float[][] encoded;
        try { encoded = Encoder.Encode(untagged.Select(i => ItemText.Of(i)!).ToArray()); }
        catch (EncoderUnavailableException e)
        {
            _unavailable = true;
            _log.LogError("text encoder unavailable, no tag suggestions: {Message}", e.Message);
            return new Dictionary<string, string[]>();
        }
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var k = 0; k < untagged.Length; k++)
            if (suggester.SuggestForText(encoded[k], n) is { Length: > 0 } tags) result[untagged[k].Id] = tags.Select(t => t.Tag).ToArray();
        return result;
    }

    /// <summary>Queues upserted items for encoding off the request path (items without text are skipped).</summary>
    public void Enqueue(IEnumerable<Item> items)
    {
        foreach (var item in items)
            if (ItemText.Of(item) is not null) Post(item);
    }

    /// <summary>Encodes the queued items (contents already stored are reused). Returns how many contents were new.</summary>
    public override int Drain(CancellationToken cancel = default)
    {
        var batch = TakeQueued();
        if (batch.Count == 0) return 0;
        var before = Encoded;
        VectorsFor(batch, null, cancel);
        return (int)(Encoded - before);
    }

    public override void Dispose()
    {
        base.Dispose();
        _encoder?.Dispose();
    }
}
