using Merx.Core.Contracts;
using Merx.Models;
using Merx.Ranking.Pipeline;
using Merx.Storage;

namespace Merx.Service.Serving;

/// <summary>A published model version loaded for serving, with its item indices mapped to the serving catalog.</summary>
public sealed class LoadedModel
{
    private LoadedModel(ModelVersion version, ModelPackage package, IndexMapping mapping)
    {
        Version = version; Package = package; Mapping = mapping;
    }

    public ModelVersion Version { get; }
    public ModelPackage Package { get; }
    public IRecommender Model => Package.Model;
    public IndexMapping Mapping { get; }
    /// <summary>The model as a user encoder (user vector · item vectors), when it is one.</summary>
    public IUserEncoder? Encoder => Package.Model as IUserEncoder;

    public static LoadedModel Load(IMerxStore store, ModelVersion version, CatalogIndex catalog, LoadedModel? previous)
    {
        var package = previous is not null && previous.Version.Version == version.Version
            ? previous.Package
            : ModelPackage.FromBytes(store.ReadModelPayload(version.Version), ModelRegistry.Read);
        return new LoadedModel(version, package, new IndexMapping(package.Items.Ids, catalog));
    }

    /// <summary>Scores of the model for a catalog-space history, mapped back to catalog items (NaN for items the model does not know).</summary>
    public float[] ScoreCatalog(IReadOnlyList<int> catalogHistory, int catalogCount)
    {
        var history = Mapping.ToModel(catalogHistory.ToArray());
        var modelScores = new float[Model.ItemCount];
        Model.Score(-1, history, modelScores);
        var result = new float[catalogCount];
        Array.Fill(result, float.NaN);
        for (var j = 0; j < modelScores.Length; j++)
            if (Mapping.ModelToCatalog[j] >= 0) result[Mapping.ModelToCatalog[j]] = modelScores[j];
        return result;
    }
}
