using Merx.Ranking.Pipeline;

namespace Merx.Ranking.Scoring;

/// <summary>
/// Maps between a model's item indices and the catalog's: models are published with their own id
/// maps (trained at different times, before new items arrived), the pipeline works in one space.
/// Read through <see cref="CatalogScorer"/>, the one place that translates between the two.
/// </summary>
public sealed class IndexMapping
{
    /// <remarks>
    /// A model that knows exactly the catalog's items in the catalog's order (a model trained on the store's whole
    /// catalog) maps each index to itself: both directions are then one shared array (40 MB less at 10M items).
    /// </remarks>
    public IndexMapping(IReadOnlyList<string> modelIds, CatalogIndex catalog)
    {
        ModelToCatalog = new int[modelIds.Count];
        var identity = modelIds.Count == catalog.Count;
        for (var j = 0; j < modelIds.Count; j++)
        {
            var c = catalog.IndexOf(modelIds[j]);
            ModelToCatalog[j] = c;
            identity &= c == j;
        }
        if (identity) { CatalogToModel = ModelToCatalog; return; }
        CatalogToModel = new int[catalog.Count];
        Array.Fill(CatalogToModel, -1);
        for (var j = 0; j < ModelToCatalog.Length; j++)
            if (ModelToCatalog[j] >= 0) CatalogToModel[ModelToCatalog[j]] = j;
    }

    /// <summary>(model items) catalog index of each model item, −1 when the catalog lacks it.</summary>
    public int[] ModelToCatalog { get; }
    /// <summary>(catalog items) model index of each catalog item, −1 for items the model never saw.</summary>
    public int[] CatalogToModel { get; }

    /// <summary>The model indices of the catalog items the model knows, in order (unknown ones are dropped).</summary>
    public int[] ToModel(ReadOnlySpan<int> catalogItems)
    {
        var result = new List<int>(catalogItems.Length);
        foreach (var c in catalogItems)
            if ((uint)c < (uint)CatalogToModel.Length && CatalogToModel[c] >= 0) result.Add(CatalogToModel[c]);
        return result.ToArray();
    }
}
