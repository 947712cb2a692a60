using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// The catalog role: what the shop sells, by external item id. Items named only by events are
/// known to the store too (they load with no catalog entry); this role writes and reads the
/// entries. The item endpoints, imports and the serving snapshot (which scores every item) need it.
/// </summary>
public interface ICatalogStore
{
    /// <summary>Inserts or replaces catalog entries by <see cref="Item.Id"/> (whole record: fields missing in the new one are cleared). Returns how many were written.</summary>
    int UpsertItems(IEnumerable<Item> items);

    /// <summary>Sets the in-stock flag of a catalog item. False when the catalog has no such item.</summary>
    bool SetInStock(string itemId, bool inStock);

    /// <summary>
    /// Removes an item's catalog entry. Events that name it stay (they are the users' history),
    /// so it then loads like any item known only from events. False when it was not in the catalog.
    /// </summary>
    bool DeleteItem(string itemId);

    /// <summary>The catalog entry, or null when the catalog has no such item.</summary>
    Item? GetItem(string id);

    /// <summary>
    /// Visits every item the store knows, in key order: its id and its catalog entry (null for items known
    /// only from events), one at a time, so a caller keeps only what it needs of a large catalog (the serving
    /// catalog keeps a few columns of each item; <see cref="CatalogStores.ReadItems"/> keeps all). Items written
    /// while a scan runs may or may not be visited. The visitor may use the store: no lock is held while it runs.
    /// </summary>
    void ScanItems(Action<string, Item?> visit);

    /// <summary>
    /// Every stored pre-trained vector of <paramref name="encoderId"/>, by content hash
    /// (<see cref="Merx.Core.Data.ItemText.Hash(Item, string)"/>): an item's vector is the one stored
    /// for the hash of its current content, so a changed item has none until it is encoded again.
    /// </summary>
    IReadOnlyDictionary<string, float[]> ReadItemVectors(string encoderId);

    /// <summary>
    /// Stores vectors of <paramref name="encoderId"/> by content hash (replacing a vector stored for
    /// the same hash). The batch is validated first: an empty hash, a non-finite entry or vectors of
    /// different lengths (within the batch or against those stored) reject it whole, writing nothing.
    /// Returns how many were written.
    /// </summary>
    int StoreItemVectors(string encoderId, IReadOnlyDictionary<string, float[]> vectors);

    /// <summary>
    /// Links catalog items to their image (issue #19): item id → the image's content hash for
    /// <paramref name="encoderId"/>, the key of its vector in <see cref="ReadItemVectors"/> (the vector may
    /// follow later: an item whose image is not encoded yet has a link and no vector). Replaces an item's
    /// earlier link; an item upsert keeps it, <see cref="DeleteItem"/> clears it. The batch is validated
    /// first: an item id that is not a catalog item, or an empty or overlong hash, rejects it whole,
    /// writing nothing. Returns how many were written.
    /// </summary>
    int SetItemImages(string encoderId, IReadOnlyDictionary<string, string> images);

    /// <summary>Removes a catalog item's image link (its vector stays, keyed by content). False when the item had none.</summary>
    bool RemoveItemImage(string itemId);

    /// <summary>Every catalog item's image link for <paramref name="encoderId"/>: item id → content hash.</summary>
    IReadOnlyDictionary<string, string> ReadItemImages(string encoderId);
}

/// <summary>Reads over <see cref="ICatalogStore"/>'s scan.</summary>
public static class CatalogStores
{
    /// <summary>Every item the store knows, in key order, held in one list: for catalogs that fit in memory whole (tests, tools).</summary>
    public static IReadOnlyList<(string Id, Item? Item)> ReadItems(this ICatalogStore store)
    {
        var result = new List<(string, Item?)>();
        store.ScanItems((id, item) => result.Add((id, item)));
        return result;
    }
}
