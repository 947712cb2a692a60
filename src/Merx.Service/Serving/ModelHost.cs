using Merx.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Merx.Service.Serving;

/// <summary>
/// Holds the current <see cref="ServingSnapshot"/> and replaces it (hot swap) when the store has a
/// newer model version than the one loaded — checked every <see cref="MerxServerOptions.ModelPollInterval"/>,
/// so a model published by another process (a training worker, <c>merx train</c>) is picked up —
/// or when the catalog changed (items added, deleted, or given a text vector by the background
/// encoder, here or by another replica over a shared store), debounced. Building happens off the request
/// path; a rebuild for the same model version updates its item index in place (<see cref="LiveItemIndex"/>),
/// so a new item is retrievable at once.
/// </summary>
public sealed class ModelHost(ICatalogStore catalog, IModelRegistry store, PolicyHost policies, IOptions<MerxServerOptions> options, ILogger<ModelHost> log, Catalog.ItemTextVectors? text = null, Catalog.ItemImageVectors? images = null) : BackgroundService
{
    private volatile ServingSnapshot? _current;
    private long _catalogStamp;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _buildGate = new();

    /// <summary>The snapshot requests use; null until the first build finished.</summary>
    public ServingSnapshot? Current => _current;

    /// <summary>Number of snapshot builds (model loads or catalog refreshes) so far.</summary>
    public long Swaps { get; private set; }

    /// <summary>Marks the catalog as changed (new or updated items); a rebuild follows shortly.</summary>
    public void CatalogChanged()
    {
        Interlocked.Increment(ref _catalogStamp);
        _wake.Release();
    }

    /// <summary>Asks for an immediate check of the store (after a publish in this process).</summary>
    public void Poke() => _wake.Release();

    /// <summary>Builds a snapshot now if the store or catalog moved on since the current one; returns the current snapshot.</summary>
    public ServingSnapshot Refresh()
    {
        lock (_buildGate)
        {
            var current = _current;
            var stamp = Interlocked.Read(ref _catalogStamp);
            if (current is not null && current.CatalogStamp == stamp && !NewerModel(current)) return current;
            var next = ServingSnapshot.Build(catalog, store, options.Value, current, stamp, policies.Stage);
            if (current is null)
            {
                CompactAfterFirstBuild();
                if (CollectorAdvice(next.Catalog.Count, System.Runtime.GCSettings.IsServerGC) is { } advice) log.LogWarning("{Advice}", advice);
            }
            _current = next;
            Swaps++;
            log.LogInformation("serving snapshot {Swap}: {Items} items; models {Models}", Swaps, next.Catalog.Count,
                string.Join(", ", next.Models.Select(m => $"{m.Version.Name} v{m.Version.Version}")));
            return next;
        }
    }

    /// <summary>
    /// The first build reads the whole catalog and every model at once; what it leaves behind is scattered through
    /// the old generation as free gaps (1.4 GB of them beside 2.3 GB live at 1M items, see
    /// bench/results/serving-scale.md), which the process keeps as resident memory. One blocking, compacting
    /// collection before the service is ready closes them; later builds happen while serving and are left to the
    /// background collector, so a request never waits for a compaction.
    /// </summary>
    private void CompactAfterFirstBuild()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var before = GC.GetGCMemoryInfo().HeapSizeBytes;
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        log.LogInformation("heap compacted after the first build: {Before:N0} -> {After:N0} MB in {Ms:N0} ms", before >> 20,
            GC.GetGCMemoryInfo().HeapSizeBytes >> 20, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Catalogs at least this large are served better by .NET's server collector (bench/results/serving-scale.md).</summary>
    public const int ServerCollectorItems = 1_000_000;

    /// <summary>
    /// The advice logged at start when a large catalog is served with the workstation collector, else null: at 10M items it
    /// collected 8 × more often and answered 765 recommendations/s against 1,276 with <c>DOTNET_gcServer=1</c>.
    /// </summary>
    public static string? CollectorAdvice(int catalogItems, bool serverCollector) =>
        serverCollector || catalogItems < ServerCollectorItems ? null
            : $"{catalogItems:N0} catalog items served with the workstation garbage collector: set DOTNET_gcServer=1 before starting the server " +
              "(at 10M items it answered 1,276 recommendations/s against 765, with a third of the pauses; bench/results/serving-scale.md)";

    private bool NewerModel(ServingSnapshot snapshot) => (store.LatestModel()?.Version ?? 0) > snapshot.StoreModelVersion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A store shared by replicas announces publications and catalog changes (PostgreSQL NOTIFY): swap at once
        // instead of at the next poll, and take another replica's items as if they were upserted here.
        if (store is IStoreChangeSignals signals)
            signals.Changed += c =>
            {
                if (c.Kind == StoreChangeKind.Models) Poke();
                else if (c.Kind == StoreChangeKind.Catalog) CatalogChanged();
            };
        // A new item's text vector places it in the large model's item index (LiveItemIndex): rebuild when one is stored.
        if (text is not null) text.VectorsStored += CatalogChanged;
        if (images is not null) images.VectorsStored += CatalogChanged;
        while (!stoppingToken.IsCancellationRequested)
        {
            try { Refresh(); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "building the serving snapshot failed; serving the previous one");
            }
            try
            {
                await _wake.WaitAsync(options.Value.ModelPollInterval, stoppingToken);
                await Task.Delay(200, stoppingToken); // debounce bursts of catalog writes
                while (_wake.CurrentCount > 0) _wake.Wait(0, stoppingToken);
            }
            catch (OperationCanceledException) { break; }
        }
    }
}
