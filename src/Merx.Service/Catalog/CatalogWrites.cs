using Merx.Core.Domain;
using Merx.Service.Serving;
using Merx.Storage;

namespace Merx.Service.Catalog;

/// <summary>
/// The catalog's writes as a host makes them: the store first, then the serving side told at once (an upsert or a
/// deletion rebuilds the next snapshot; a stock flag is also set in the snapshot being served), and new item text
/// queued for encoding off the request path. Callers validate first (<see cref="Validate.Item"/>).
/// </summary>
public sealed class CatalogWrites(ICatalogStore store, ModelHost host, ItemTextVectors text)
{
    /// <summary>Writes validated items (all or nothing) and returns how many, with suggested tags for the items sent without any.</summary>
    public (int Written, IReadOnlyDictionary<string, string[]> SuggestedTags) Upsert(IReadOnlyList<Item> items)
    {
        var written = store.UpsertItems(items);
        host.CatalogChanged();
        text.Enqueue(items);
        return (written, text.SuggestTags(items, host.Current));
    }

    /// <summary>Deletes an item; false when the catalog has no such item.</summary>
    public bool Delete(string id)
    {
        if (!store.DeleteItem(id)) return false;
        host.CatalogChanged();
        return true;
    }

    /// <summary>Sets an item's stock flag, in the store and in the snapshot being served; false when the catalog has no such item.</summary>
    public bool SetInStock(string id, bool inStock)
    {
        if (!store.SetInStock(id, inStock)) return false;
        if (host.Current is { } snapshot && snapshot.Catalog.IndexOf(id) is var i and >= 0) snapshot.Catalog.SetInStock(i, inStock);
        return true;
    }
}
