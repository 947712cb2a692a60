using Merx.Core.Contracts;
using Merx.Ranking.Retrieval;

namespace Merx.Service.Serving;

/// <summary>Which item index a large model gets, from <see cref="MerxServerOptions"/>.</summary>
/// <param name="Kind">"hnsw", "int8-scan" or "ivf".</param>
/// <param name="BuildSeconds">Time budget of an HNSW build; past it the int8 scan is used.</param>
public sealed record ItemIndexSettings(int MinItems = 50_000, string Kind = "hnsw", double BuildSeconds = 600, int Probes = 32, IProgress<string>? Progress = null);

/// <summary>Builds the serving item index of a user encoder's item vectors.</summary>
public static class ItemIndexes
{
    public static ItemIndexSettings Settings(MerxServerOptions options) =>
        new(options.IndexMinItems, options.ItemIndex, options.IndexBuildSeconds, options.IvfProbes);

    /// <summary>
    /// The index of <paramref name="settings"/>.Kind over the encoder's vectors (read through the model,
    /// never copied in float). An HNSW build that overruns its time budget is abandoned for the int8 scan.
    /// </summary>
    public static IItemIndex Build(IUserEncoder encoder, ItemIndexSettings settings)
    {
        FloatRows floats = () => encoder.ItemVectors;
        var d = encoder.Dimension;
        switch (settings.Kind)
        {
            case "ivf": return IvfIndex.Build(encoder.ItemVectors, d, probes: settings.Probes);
            case "int8-scan": return Int8ScanIndex.Build(floats, d);
            case "hnsw":
                using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(settings.BuildSeconds)))
                {
                    try { return HnswIndex.Build(floats, d, new HnswOptions(), settings.Progress, budget.Token); }
                    catch (OperationCanceledException)
                    {
                        settings.Progress?.Report($"hnsw: build passed its {settings.BuildSeconds:F0} s budget; serving through the int8 scan");
                        return Int8ScanIndex.Build(floats, d);
                    }
                }
            default: throw new ArgumentException($"unknown item index '{settings.Kind}' (hnsw, int8-scan, ivf)");
        }
    }
}
