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
    private LoadedModel(ModelVersion version, ModelPackage package, CatalogScorer scorer)
    {
        Version = version; Package = package; Scorer = scorer;
    }

    public ModelVersion Version { get; }
    public ModelPackage Package { get; }
    public IRecommender Model => Package.Model;
    /// <summary>The model over this snapshot's catalog: mapping, user vectors, scores, top k.</summary>
    public CatalogScorer Scorer { get; }

    /// <summary>
    /// Loads a version (reusing <paramref name="previous"/>'s package, and its item index, when it is the
    /// same version: a catalog change keeps the index, items the catalog lost are filtered at search). A
    /// user encoder with at least <see cref="ItemIndexSettings.MinItems"/> items gets an item index.
    /// </summary>
    public static LoadedModel Load(IModelRegistry store, ModelVersion version, CatalogIndex catalog, LoadedModel? previous, ItemIndexSettings? index = null)
    {
        var same = previous is not null && previous.Version.Version == version.Version;
        var package = same ? previous!.Package : ModelPackage.FromBytes(store.ReadModelPayload(version.Version), ModelRegistry.Read);
        // Above MinItems a full pass per request no longer fits a few-ms budget: retrieve through an index.
        var built = index is not null && package.Model is IUserEncoder enc && package.Model.ItemCount >= index.MinItems
            ? (same ? previous!.Scorer.Index : null) ?? ItemIndexes.Build(enc, index, $"v{version.Version}-{version.Sha256[..Math.Min(16, version.Sha256.Length)]}")
            : null;
        return new LoadedModel(version, package, new CatalogScorer(package.Model, package.Items.Ids, catalog, built, index?.Probes ?? 32));
    }
}
