using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Ranking.Pipeline;
using Merx.Ranking.Retrieval;
using Merx.Ranking.Scoring;

namespace Merx.Service.Serving;

/// <summary>
/// The serving item index of one model version kept in step with the catalog while it serves (issue
/// #21), without retraining: at each snapshot build (a catalog change, debounced) it adds what became
/// available and removes what went away, in place, so a new item is retrievable as soon as its vector
/// is known. Model items that leave the catalog, lose their catalog entry or are out of stock at the
/// build are removed, and added back (their own trained vector) when they return; items the model was
/// not trained on enter under keys from the model's item count up, by the vector the model gives
/// their stored text vector (<see cref="IColdItemEncoder"/>), and leave the same way. Only graphs take
/// updates (<see cref="HnswIndex"/>); other indexes are left as built (the search filter still drops
/// what is not admissible). One per model version, shared by its snapshots; <see cref="Sync"/> runs
/// under the host's build lock.
/// </summary>
public sealed class LiveItemIndex(IItemIndex index, IUserEncoder encoder, int modelItems)
{
    private readonly Dictionary<string, int> _coldKeyOf = new(StringComparer.Ordinal);
    private readonly Dictionary<int, float[]> _coldVector = [];
    private int _nextKey = modelItems;

    public IItemIndex Index { get; } = index;

    /// <summary>Items added and removed by the syncs so far (model items and new ones).</summary>
    public long Added { get; private set; }
    public long Removed { get; private set; }

    /// <summary>
    /// Brings the index in line with <paramref name="catalog"/> and returns the cold keys (index key →
    /// catalog item) for this snapshot's <see cref="CatalogScorer"/>.
    /// </summary>
    /// <param name="previous">The catalog of the snapshot before (null on the first): an item whose entry it had and this one lacks was deleted.</param>
    /// <param name="text">The catalog items' stored text vectors (aligned with <paramref name="catalog"/>), or null.</param>
    public IReadOnlyDictionary<int, int> Sync(CatalogIndex catalog, IndexMapping mapping, CatalogIndex? previous, PretrainedVectors? text)
    {
        var cold = new Dictionary<int, int>();
        if (Index is not HnswIndex graph) return cold;
        var d = encoder.Dimension;
        var vectors = encoder.ItemVectors;
        var row = new float[d];
        var toCatalog = mapping.ModelToCatalog;
        for (var j = 0; j < toCatalog.Length; j++)
        {
            var c = toCatalog[j];
            bool want;
            if (c < 0) want = false;
            else if (catalog.Cataloged(c)) want = catalog.InStock(c);
            else if (previous?.IndexOf(catalog.Id(c)) is >= 0 and var p && previous.Cataloged(p)) want = false; // its entry was deleted
            else continue; // known only from events, as at the build: left as it is
            var has = graph.Contains(j);
            if (want && !has) { graph.Add(j, vectors.Row(j, row)); Added++; }
            else if (!want && has && graph.Remove(j)) Removed++;
        }
        var coldEncoder = encoder as IColdItemEncoder;
        var usable = coldEncoder?.TextEncoder is { } id && text is not null && text.EncoderId == id;
        var v = new float[d];
        var present = new HashSet<string>(StringComparer.Ordinal);
        for (var c = 0; c < catalog.Count; c++)
        {
            if (mapping.CatalogToModel[c] >= 0) continue;
            var itemId = catalog.Id(c);
            var available = catalog.Cataloged(c) && catalog.InStock(c) && usable && text!.Has(c) && coldEncoder!.ItemVectorFromText(text.Of(c), v);
            if (!available) continue;
            present.Add(itemId);
            if (!_coldKeyOf.TryGetValue(itemId, out var key)) _coldKeyOf[itemId] = key = _nextKey++;
            if (!_coldVector.TryGetValue(key, out var old) || !old.AsSpan().SequenceEqual(v))
            {
                graph.Add(key, v);
                _coldVector[key] = (float[])v.Clone();
                Added++;
            }
            cold[key] = c;
        }
        foreach (var (itemId, key) in _coldKeyOf)
            if (!present.Contains(itemId) && _coldVector.Remove(key))
            {
                graph.Remove(key);
                Removed++;
            }
        return cold;
    }
}
