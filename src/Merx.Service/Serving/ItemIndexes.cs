using Merx.Core.Contracts;
using Merx.Ranking.Retrieval;

namespace Merx.Service.Serving;

/// <summary>Which item index a large model gets, from <see cref="MerxServerOptions"/>.</summary>
/// <param name="Kind">"hnsw" (f16, inner product), "hnsw-i8" (int8, lifted to cosine), "int8-scan" or "ivf".</param>
/// <param name="BuildSeconds">Time budget of an HNSW build; past it the int8 scan is used.</param>
/// <param name="Directory">Where HNSW graphs are kept per model version (null: rebuilt at every start).</param>
/// <param name="Int8">Serve the large model from its int8 inference copy (<see cref="Core.Contracts.IInt8Inference"/>).</param>
/// <param name="HeadItems">Items of largest norm an HNSW search scans beside its graph (null: <see cref="HnswOptions.HeadFor"/>).</param>
/// <param name="SearchWidth">The HNSW search width (null: <see cref="HnswOptions.ExpansionSearchFor"/> the catalog's size).</param>
/// <param name="HeadTolerance">The share of answers the HNSW head may miss, as audited, to answer without its proof (<see cref="HnswOptions.HeadTolerance"/>).</param>
public sealed record ItemIndexSettings(int MinItems = 50_000, string Kind = "hnsw", double BuildSeconds = 600, int Probes = 32, string? Directory = null, IProgress<string>? Progress = null, bool Int8 = false, int? HeadItems = null, int? SearchWidth = null,
    double HeadTolerance = HnswOptions.DefaultHeadTolerance);

/// <summary>Builds the serving item index of a user encoder's item vectors.</summary>
public static class ItemIndexes
{
    public static ItemIndexSettings Settings(MerxServerOptions options) =>
        new(options.IndexMinItems, options.ItemIndex, options.IndexBuildSeconds, options.IvfProbes,
            options.IndexDirectory ?? (options.Db.Contains("://") ? null : options.Db + ".indexes"), Int8: options.ModelPrecision == "int8", HeadItems: options.IndexHeadItems, SearchWidth: options.IndexSearchWidth,
            HeadTolerance: options.IndexHeadTolerance);

    /// <summary>
    /// The index of <paramref name="settings"/>.Kind over the encoder's vectors (read through the model,
    /// never copied in float). An HNSW graph is persisted with the model version: read from
    /// <see cref="ItemIndexSettings.Directory"/> under <paramref name="versionKey"/> when there, else built
    /// and written there (atomically). A build that overruns its time budget is abandoned for the int8 scan.
    /// </summary>
    /// <param name="versionKey">Names the model version (its number and checksum), so a file never serves another model.</param>
    public static IItemIndex Build(IUserEncoder encoder, ItemIndexSettings settings, string? versionKey = null)
    {
        var rows = encoder.ItemVectors;
        var d = encoder.Dimension;
        switch (settings.Kind)
        {
            // The inverted file keeps float rows of its own: an int8 table's are dequantized for it.
            case "ivf": return IvfIndex.Build(rows.IsInt8 ? rows.ToArray() : rows.Floats, d, probes: settings.Probes);
            case "int8-scan": return Int8ScanIndex.Build(rows);
            case "hnsw" or "hnsw-i8":
                var options = new HnswOptions(settings.Kind == "hnsw-i8" ? HnswStorage.Int8 : HnswStorage.Float16,
                    ExpansionSearch: settings.SearchWidth ?? HnswOptions.ExpansionSearchFor(rows.Count), HeadItems: settings.HeadItems, HeadTolerance: settings.HeadTolerance);
                var file = settings.Directory is { } dir && versionKey is not null ? Path.Combine(dir, $"{versionKey}.{settings.Kind}.usearch") : null;
                if (file is not null && File.Exists(file))
                {
                    try { return Described(HnswIndex.Load(file, rows, options), $"read from {file}", settings.Progress); }
                    catch (Exception e) when (e is InvalidDataException or Cloud.Unum.USearch.USearchException) { settings.Progress?.Report($"hnsw: {file} unusable ({e.Message}); rebuilding"); }
                }
                using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(settings.BuildSeconds)))
                {
                    try
                    {
                        var graph = HnswIndex.Build(rows, options, settings.Progress, budget.Token);
                        if (file is not null)
                        {
                            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                            graph.Save(file + ".tmp");
                            File.Move(file + ".tmp", file, overwrite: true);
                        }
                        return Described(graph, "built", settings.Progress);
                    }
                    catch (OperationCanceledException)
                    {
                        settings.Progress?.Report($"hnsw: build passed its {settings.BuildSeconds:F0} s budget; serving through the int8 scan");
                        return Int8ScanIndex.Build(rows);
                    }
                }
            default: throw new ArgumentException($"unknown item index '{settings.Kind}' (hnsw, hnsw-i8, int8-scan, ivf)");
        }
    }

    // One line for the operator: which graph serves, how wide it searches, how large its head is.
    private static HnswIndex Described(HnswIndex graph, string how, IProgress<string>? progress)
    {
        progress?.Report($"hnsw: {graph.Count:N0} items {how}; search width {graph.Options.ExpansionSearch}, head {graph.HeadCount:N0} items answering alone within {graph.Options.HeadTolerance:P1} audited misses (Merx:IndexSearchWidth, Merx:IndexHeadItems, Merx:IndexHeadTolerance)");
        return graph;
    }
}
