using Merx.Core.Contracts;
using Merx.Models;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Retrieval;
using Merx.Ranking.Scoring;
using Merx.Storage;

namespace Merx.Service.Serving;

/// <summary>
/// A published model version loaded for serving, seen in the serving catalog's index space through
/// its <see cref="CatalogScorer"/> (one per model per snapshot: the mapping of its item indices, and
/// for the large model of a large catalog the inverted-file index over its item vectors).
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
    /// Loads a version (reusing <paramref name="previous"/>'s package, and its inverted file, when it
    /// is the same version). A user encoder with at least <paramref name="ivfMinItems"/> items gets an
    /// inverted file over its item vectors, searched with <paramref name="probes"/> clusters.
    /// </summary>
    public static LoadedModel Load(IModelRegistry store, ModelVersion version, CatalogIndex catalog, LoadedModel? previous, int ivfMinItems = int.MaxValue, int probes = 32)
    {
        var same = previous is not null && previous.Version.Version == version.Version;
        var package = same ? previous!.Package : ModelPackage.FromBytes(store.ReadModelPayload(version.Version), ModelRegistry.Read);
        // Above ivfMinItems a full pass per request no longer fits a few-ms budget: retrieve through an inverted file.
        var index = package.Model is IUserEncoder enc && package.Model.ItemCount >= ivfMinItems
            ? (same ? previous!.Scorer.Index : null) ?? IvfIndex.Build(enc.ItemVectors, enc.Dimension)
            : null;
        return new LoadedModel(version, package, new CatalogScorer(package.Model, package.Items.Ids, catalog, index, probes));
    }
}
