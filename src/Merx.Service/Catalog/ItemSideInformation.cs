using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;
using Merx.Ranking.Pipeline;
using Merx.Storage;

namespace Merx.Service.Catalog;

/// <summary>
/// The pre-trained item vectors the models read as side information (issue #19): text ⊕ image
/// (<see cref="PretrainedVectors.Join"/>), from the catalog store. A catalog with no image links gives the text
/// vectors unchanged (the same object), so training without images is what it was before images existed.
/// </summary>
public static class ItemSideInformation
{
    /// <summary>
    /// For training: the items' text vectors (stored ones reused, new contents encoded and stored) joined with the
    /// stored image vectors when any item has an image; null when neither exists.
    /// </summary>
    public static PretrainedVectors? ForTraining(ItemTextVectors text, IReadOnlyList<string> ids, IReadOnlyList<Item?> items, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var vectors = text.VectorsFor(items, progress, cancel);
        var images = ItemImageVectors.Stored(text.Catalog, items.Count, i => ids[i]);
        if (images is { PresentCount: > 0 }) progress?.Report($"image vectors: {images.PresentCount:N0} of {items.Count:N0} items have one; joined with the text vectors as side information");
        return PretrainedVectors.Join(vectors, images);
    }

    /// <summary>
    /// For serving a model trained on <paramref name="encoderId"/>'s vectors ("all-MiniLM-L6-v2", "resnet18-imagenet" or
    /// both joined with '+'): the stored vectors in that exact layout, zeros for a part no item has now; null when the
    /// id names an encoder this host does not know. <paramref name="storedText"/>, when given, is the caller's read of the
    /// stored text vectors (<see cref="ItemTextVectors.Stored"/> over the same catalog), so a snapshot reads them once.
    /// </summary>
    public static PretrainedVectors? ForModel(ICatalogStore store, string encoderId, CatalogIndex catalog, Func<PretrainedVectors?>? storedText = null)
    {
        var parts = new List<PretrainedVectors>();
        foreach (var part in encoderId.Split('+'))
        {
            if (part == TextEncoder.ModelId)
                parts.Add((storedText is not null ? storedText() : ItemTextVectors.Stored(store, catalog)) ?? PretrainedVectors.None(part, TextEncoder.VectorDimension, catalog.Count));
            else if (part == ImageEncoder.ModelId)
                parts.Add(ItemImageVectors.Stored(store, catalog.Count, catalog.Id) ?? PretrainedVectors.None(part, ImageEncoder.VectorDimension, catalog.Count));
            else return null;
        }
        return parts.Count == 1 ? parts[0] : PretrainedVectors.Concat(parts);
    }
}
