using System.Threading.Channels;
using Merx.Encoders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Merx.Service.Catalog;

/// <summary>
/// The queue and background loop shared by the catalog's encoders (<see cref="ItemTextVectors"/>, <see cref="ItemImageVectors"/>):
/// work posted on the request path is gathered for 200 ms into one batch and encoded off it by <see cref="Drain"/>.
/// An encoder that cannot load drops what is queued (logged once per batch); other failures are logged and the loop goes on.
/// </summary>
public abstract class BackgroundEncoding<TWork>(ILogger log, string what, string dropped) : BackgroundService
{
    private readonly Channel<TWork> _queue = Channel.CreateUnbounded<TWork>(new UnboundedChannelOptions { SingleReader = true });
    private int _pending;

    /// <summary>Work waiting for the background loop.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Queues one piece of work for the loop.</summary>
    protected void Post(TWork work)
    {
        if (_queue.Writer.TryWrite(work)) Interlocked.Increment(ref _pending);
    }

    /// <summary>Everything queued so far, taken off the queue.</summary>
    protected List<TWork> TakeQueued()
    {
        var batch = new List<TWork>();
        while (_queue.Reader.TryRead(out var work)) { batch.Add(work); Interlocked.Decrement(ref _pending); }
        return batch;
    }

    /// <summary>Encodes everything queued so far (what the background loop does; tests and the CLI call it directly). Returns how many vectors were new.</summary>
    public abstract int Drain(CancellationToken cancel = default);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            await Task.Delay(200, stoppingToken).ConfigureAwait(false); // gather a burst into one batch
            try
            {
                var n = Drain(stoppingToken);
                if (n > 0) log.LogInformation("{What}: {Count} new vectors encoded and stored", what, n);
            }
            catch (EncoderUnavailableException e)
            {
                TakeQueued();
                log.LogError("{What}: {Message}; {Dropped}", what, e.Message, dropped);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                log.LogError(e, "{What}: encoding a batch failed", what);
            }
        }
    }
}
