using Merx.Core.Contracts;
using Merx.Models;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Scoring;
using Merx.Storage;

namespace Merx.Service.Serving;

/// <summary>
/// A published model version loaded for serving, seen in the serving catalog's index space through
/// its <see cref="CatalogScorer"/> (one per model per snapshot: the mapping of its item indices, and
/// for the large model of a large catalog the item index over its item vectors, <see cref="ItemIndexes"/>).
/// </summary>
public sealed class LoadedModel
{
    private LoadedModel(ModelVersion version, ModelPackage package, CatalogScorer scorer, LiveItemIndex? live)
    {
        Version = version; Package = package; Scorer = scorer; Live = live;
    }

    public ModelVersion Version { get; }
    public ModelPackage Package { get; }
    public IRecommender Model => Package.Model;
    /// <summary>The model over this snapshot's catalog: mapping, user vectors, scores, top k.</summary>
    public CatalogScorer Scorer { get; }
    /// <summary>The item index kept in step with the catalog (null when the model has none).</summary>
    public LiveItemIndex? Live { get; }

    /// <summary>
    /// Loads a version (reusing <paramref name="previous"/>'s package, and its item index, when it is the
    /// same version: a catalog change updates that index in place, <see cref="LiveItemIndex.Sync"/>). A
    /// user encoder with at least <see cref="ItemIndexSettings.MinItems"/> items gets an item index; with
    /// <see cref="ItemIndexSettings.Int8"/> the Transformer serves from its int8 copy.
    /// </summary>
    /// <param name="previousCatalog">The catalog of the snapshot being replaced (deleted items are told by it), or null.</param>
    /// <param name="text">Reads the catalog's stored pre-trained vectors in the layout of the given encoder id (the model's) when the index needs them (new items placed by their text and image).</param>
    public static LoadedModel Load(IModelRegistry store, ModelVersion version, CatalogIndex catalog, LoadedModel? previous, ItemIndexSettings? index = null,
        CatalogIndex? previousCatalog = null, Func<string, Core.Data.PretrainedVectors?>? text = null)
    {
        var same = previous is not null && previous.Version.Version == version.Version;
        var package = same ? previous!.Package : Quantized(ReadPackage(store, version.Version, catalog), index);
        // Above MinItems a full pass per request no longer fits a few-ms budget: retrieve through an index.
        var live = index is not null && package.Model is IUserEncoder enc && package.Model.ItemCount >= index.MinItems
            ? (same ? previous!.Live : null) ?? new LiveItemIndex(ItemIndexes.Build(enc, index, $"v{version.Version}-{version.Sha256[..Math.Min(16, version.Sha256.Length)]}{(index.Int8 ? "-int8" : "")}"), enc, package.Model.ItemCount)
            : null;
        var mapping = new IndexMapping(package.Items.Ids, catalog);
        var cold = live is null ? null
            : live.Sync(catalog, mapping, same ? previousCatalog : null, package.Model is IColdItemEncoder { TextEncoder: { } encoderId } ? text?.Invoke(encoderId) : null);
        return new LoadedModel(version, package, new CatalogScorer(package.Model, mapping, live?.Index, index?.Probes ?? 32, cold), live);
    }

    /// <summary>A published version's package, streamed from the registry (a 10M-item model's payload is more than one array holds).</summary>
    /// <param name="catalog">A catalog whose id strings the package's id map shares (null: its own).</param>
    public static ModelPackage ReadPackage(IModelRegistry store, long version, CatalogIndex? catalog = null)
    {
        using var payload = store.OpenModelPayload(version);
        return ModelPackage.FromStream(payload, ModelRegistry.ReadForServing, catalog is null ? null : catalog.SharedId);
    }

    // The int8 inference copy when asked for and the model has one (the package keeps its ids and metadata).
    private static ModelPackage Quantized(ModelPackage package, ItemIndexSettings? index) =>
        index is { Int8: true } && package.Model is IInt8Inference q ? package with { Model = q.ToInt8() } : package;
}
