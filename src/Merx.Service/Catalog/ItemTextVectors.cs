using System.Threading.Channels;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;
using Merx.Storage;
using Microsoft.Extensions.Hosting;
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
public sealed class ItemTextVectors(ICatalogStore catalog, ILogger<ItemTextVectors>? log = null) : BackgroundService
{
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _log = log ?? NullLogger<ItemTextVectors>.Instance;
    private readonly Lock _load = new();
    private TextEncoder? _encoder;
    private long _encoded;

    /// <summary>Contents encoded by this process so far (each stored once).</summary>
    public long Encoded => Interlocked.Read(ref _encoded);

    /// <summary>Items waiting for the background loop.</summary>
    public int Pending => _queue.Reader.Count;

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
        }
        return result.Vectors;
    }

    /// <summary>Queues upserted items for encoding off the request path (items without text are skipped).</summary>
    public void Enqueue(IEnumerable<Item> items)
    {
        foreach (var item in items)
            if (ItemText.Of(item) is not null) _queue.Writer.TryWrite(item);
    }

    /// <summary>Encodes everything queued so far (what the background loop does; tests and the CLI call it directly). Returns how many contents were new.</summary>
    public int Drain(CancellationToken cancel = default)
    {
        var batch = new List<Item?>();
        while (_queue.Reader.TryRead(out var item)) batch.Add(item);
        if (batch.Count == 0) return 0;
        var before = Encoded;
        VectorsFor(batch, null, cancel);
        return (int)(Encoded - before);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            await Task.Delay(200, stoppingToken).ConfigureAwait(false); // gather a burst of upserts into one batch
            try
            {
                var n = Drain(stoppingToken);
                if (n > 0) _log.LogInformation("text vectors: {Count} new item contents encoded and stored", n);
            }
            catch (EncoderUnavailableException e)
            {
                while (_queue.Reader.TryRead(out _)) { }
                _log.LogError("text vectors: {Message}; upserted items get no text vector", e.Message);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                _log.LogError(e, "text vectors: encoding a batch of upserted items failed");
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _encoder?.Dispose();
    }
}
